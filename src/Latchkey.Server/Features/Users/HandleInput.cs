using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Users;

/// <summary>An email or a phone number given in a request, normalised; <see cref="Channel"/> says which.</summary>
public readonly record struct Handle(string Channel, string Value)
{
    public bool IsEmail => Channel == Channels.Email;
}

public static class HandleInput
{
    /// <summary>
    /// Reads the one handle of a request that takes <c>email</c> or <c>phone</c>. A phone number
    /// without a + is read in the region of the device's language.
    /// </summary>
    public static Handle? Parse(string? email, string? phone, Device? device, bool required)
    {
        if (email is not null && phone is not null)
        {
            throw Problems.InvalidRequest("Give an email or a phone number, not both.",
                new Dictionary<string, string[]> { ["email"] = ["Give an email or a phone number, not both."] });
        }
        if (email is not null)
        {
            return EmailAddress.TryNormalise(email, out var normalised)
                ? new Handle(Channels.Email, normalised)
                : throw Problems.InvalidField("email", "This is not a valid email address.");
        }
        if (phone is not null)
        {
            return Phones.TryNormalise(phone, device?.Language?.Region, out var e164)
                ? new Handle(Channels.Sms, e164)
                : throw Problems.InvalidField("phone", "This is not a valid phone number; give it with its country code, e.g. +44 20 7946 0958.");
        }
        return required ? throw Problems.InvalidField("email", "An email or a phone number is required.") : null;
    }

    /// <summary>Handles the same way for a single free-form value (invitations, admin input).</summary>
    public static Handle ParseAny(string? handle, string field)
    {
        if (!string.IsNullOrWhiteSpace(handle) && handle.Contains('@'))
        {
            return EmailAddress.TryNormalise(handle, out var email) ? new Handle(Channels.Email, email)
                : throw Problems.InvalidField(field, "This is not a valid email address.");
        }
        return Phones.TryNormalise(handle, null, out var e164) ? new Handle(Channels.Sms, e164)
            : throw Problems.InvalidField(field, "Give an email address or a phone number with its country code.");
    }

    public static string? Language(Device? device) => device?.Language?.Code ?? device?.Language?.Id;
}
