using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Delivery;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>The dev outbox (LATCHKEY_DELIVERY=outbox): the messages the app "sent", codes and links included, newest first.</summary>
public sealed class OutboxModel : ConsolePageModel
{
    [FromRoute] public string AppId { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string? To { get; set; }

    public IReadOnlyList<OutboxEndpoints.OutboxMessage> Messages { get; private set; } = [];

    public async Task OnGetAsync()
    {
        Require(AppId, AdminPermissions.OutboxRead);
        await CurrentAppAsync(AppId);
        Messages = await Api.OutboxAsync(Admin, AppId, Blank(To), 100, Ct);
    }
}
