using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.SignUp;

/// <summary>The checks every way of making an account shares: methods, user name, password, metadata.</summary>
public static class NewAccountInput
{
    public sealed record Checked(string? Username, string? FoldedUsername);

    public static Checked Check(App app, Handle handle, string? username, string? password, JsonObject? metadata, PasswordPolicy policy)
    {
        var fields = new FieldErrors();
        var checkedName = Check(app, handle, username, password, metadata, policy, fields);
        fields.ThrowIfAny();
        return checkedName;
    }

    /// <summary>
    /// The same checks, each bad field kept in <paramref name="fields"/>. A <paramref name="handle"/>
    /// of null (the email or phone was not valid) asks for a password only where neither kind of
    /// handle could sign in without one.
    /// </summary>
    public static Checked Check(App app, Handle? handle, string? username, string? password, JsonObject? metadata, PasswordPolicy policy, FieldErrors fields)
    {
        var settings = app.Settings;
        if (handle is { IsEmail: false } && !settings.Allows(SignInMethods.SmsCode))
        {
            fields.Add("phone", "This app does not sign users in with a phone number; use an email address.");
        }
        var checkedName = fields.Check(() => CheckUsername(app, username)) ?? new Checked(null, null);
        if (string.IsNullOrEmpty(password))
        {
            var passwordless = handle is { } known
                ? settings.Allows(known.IsEmail ? SignInMethods.EmailCode : SignInMethods.SmsCode)
                : settings.Allows(SignInMethods.EmailCode) || settings.Allows(SignInMethods.SmsCode);
            if (!passwordless)
            {
                fields.Add("password", "A password is required: this app signs users in with a password.");
            }
        }
        else
        {
            fields.Check(() => policy.Check(password, handle is { IsEmail: true } email ? email.Value : null));
        }
        fields.Check(() => JsonLimits.EnsureSmallObject(metadata, "metadata"));
        return checkedName;
    }

    public static Checked CheckUsername(App app, string? username, string field = "username")
    {
        if (username is null)
        {
            return new Checked(null, null);
        }
        if (!app.Settings.UsernamesEnabled)
        {
            throw Problems.InvalidField(field, "This app does not use user names.");
        }
        return UserNames.TryNormalise(username, out var written, out var folded, out var problem)
            ? new Checked(written, folded)
            : throw Problems.InvalidField(field, problem);
    }
}
