using Latchkey.Server.Features.CustomRoles;
using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Admin API for an app's own message templates, one per kind and language. A template may use
/// only the placeholders of <see cref="TemplateText.Placeholders"/>.
/// </summary>
public static partial class TemplateEndpoints
{
    public static RouteGroupBuilder MapAdminTemplateEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{appId}/templates", ListAsync).RequireAdminPermission(AdminPermissions.AppsRead).WithSummary("List an app's own message templates");
        admin.MapPut("/apps/{appId}/templates/{kind}/{language}", PutAsync).RequireAdminPermission(AdminPermissions.AppsWrite)
            .WithSummary("Create or replace the app's template of a kind of message in a language")
            .WithDescription("Placeholders: {{appName}}, {{code}}, {{link}}, {{expiresInMinutes}}, {{expiresIn}}, {{expiresAt}}. "
                + "Values are HTML-encoded in the html body. A device language de-AT uses de-at, then de, then en, then the built-in English.");
        admin.MapDelete("/apps/{appId}/templates/{kind}/{language}", DeleteAsync).RequireAdminPermission(AdminPermissions.AppsWrite).WithSummary("Delete the app's template (the built-in one answers again)");
        return admin;
    }

    public sealed record TemplateRequest
    {
        [Required, MaxLength(200)] public string Subject { get; init; } = "";
        [Required, MaxLength(8000)] public string Text { get; init; } = "";
        [MaxLength(32000)] public string? Html { get; init; }
        [MaxLength(640)] public string? Sms { get; init; }
    }

    public sealed record TemplateView(string Kind, string Language, string Subject, string Text, string? Html, string? Sms, DateTime UpdatedAt)
    {
        public static TemplateView From(MessageTemplate t) => new(t.Kind, t.Language, t.Subject, t.Text, t.Html, t.Sms, t.UpdatedAt);
    }

    [GeneratedRegex("^[a-z]{2,3}(-[a-z0-9]{1,8})*$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTag();

    internal static async Task<Ok<List<TemplateView>>> ListAsync(AdminCaller admin, string appId, LatchkeyDbContext db, CancellationToken ct)
    {
        await EnsureAppAsync(db, appId, ct);
        var templates = await db.MessageTemplates.AsNoTracking().Where(t => t.AppId == appId)
            .OrderBy(t => t.Kind).ThenBy(t => t.Language).ToListAsync(ct);
        return TypedResults.Ok(templates.Select(TemplateView.From).ToList());
    }

    internal static async Task<Ok<TemplateView>> PutAsync(
        AdminCaller admin, string appId, string kind, string language, TemplateRequest request, LatchkeyDbContext db, AuditLog audit,
        TimeProvider clock, CancellationToken ct)
    {
        var tag = Validate(kind, language, request);
        await EnsureAppAsync(db, appId, ct);
        MessageTemplate template;
        try
        {
            template = await SaveAsync(admin, db, audit, appId, kind, tag, request, clock, ct);
        }
        catch (DbUpdateException)
        {
            // Another admin created the same template in the same instant (unique app, kind and
            // language): theirs is there now, and this request replaces it.
            db.ChangeTracker.Clear();
            template = await SaveAsync(admin, db, audit, appId, kind, tag, request, clock, ct);
        }
        return TypedResults.Ok(TemplateView.From(template));
    }

    private static async Task<MessageTemplate> SaveAsync(AdminCaller admin, LatchkeyDbContext db, AuditLog audit,
        string appId, string kind, string tag, TemplateRequest request, TimeProvider clock, CancellationToken ct)
    {
        var template = await db.MessageTemplates.FirstOrDefaultAsync(t => t.AppId == appId && t.Kind == kind && t.Language == tag, ct);
        if (template is null)
        {
            template = new MessageTemplate { Id = Guid.CreateVersion7(), AppId = appId, Kind = kind, Language = tag, Subject = "", Text = "" };
            db.MessageTemplates.Add(template);
        }
        template.Subject = request.Subject;
        template.Text = request.Text;
        template.Html = string.IsNullOrWhiteSpace(request.Html) ? null : request.Html;
        template.Sms = string.IsNullOrWhiteSpace(request.Sms) ? null : request.Sms;
        template.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        audit.Record(admin, appId, AuditActions.TemplateSave, null, $"template={kind}/{tag}");
        await db.SaveChangesAsync(ct);
        return template;
    }

    internal static async Task<NoContent> DeleteAsync(
        AdminCaller admin, string appId, string kind, string language, LatchkeyDbContext db, AuditLog audit, CancellationToken ct)
    {
        var tag = TemplateCatalog.NormaliseLanguage(language) ?? "";
        var deleted = await db.MessageTemplates.Where(t => t.AppId == appId && t.Kind == kind && t.Language == tag).ExecuteDeleteAsync(ct);
        if (deleted == 0)
        {
            throw Problems.NotFound("This app has no template of this kind in this language.");
        }
        audit.Record(admin, appId, AuditActions.TemplateDelete, null, $"template={kind}/{tag}");
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>Checks what built-in validation cannot: the route's kind and language, the placeholders used.</summary>
    private static string Validate(string kind, string language, TemplateRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!MessageKinds.All.Contains(kind))
        {
            errors["kind"] = [$"kind must be one of: {string.Join(", ", MessageKinds.All)}."];
        }
        var tag = TemplateCatalog.NormaliseLanguage(language) ?? "";
        if (tag.Length > TemplateCatalog.MaxLanguageLength || !LanguageTag().IsMatch(tag))
        {
            errors["language"] = [$"language must be a BCP 47 language tag of at most {TemplateCatalog.MaxLanguageLength} characters, e.g. en, de, pt-BR."];
        }
        if (request.Subject.Contains('\r') || request.Subject.Contains('\n'))
        {
            errors["subject"] = ["subject must be one line."];
        }
        foreach (var (field, value) in new[] { ("subject", request.Subject), ("text", request.Text), ("html", request.Html), ("sms", request.Sms) })
        {
            var unknown = TemplateText.Unknown(value);
            if (unknown.Count > 0)
            {
                errors[field] = [.. errors.GetValueOrDefault(field) ?? [],
                    $"Unknown placeholder(s) {string.Join(", ", unknown.Select(u => "{{" + u + "}}"))}; "
                    + $"known: {string.Join(", ", TemplateText.Placeholders.Select(p => "{{" + p + "}}"))}."];
            }
        }
        if (errors.Count > 0)
        {
            throw Problems.InvalidRequest("Some fields are not valid; see errors.", errors);
        }
        return tag;
    }

    private static async Task EnsureAppAsync(LatchkeyDbContext db, string appId, CancellationToken ct)
    {
        if (!await db.Apps.AnyAsync(a => a.Id == appId, ct))
        {
            throw Problems.AppNotFound(appId);
        }
    }
}
