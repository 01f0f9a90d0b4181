namespace Latchkey.Server.Features.Delivery;

/// <summary>What a feature asks to send; the template of its kind, in the best language, gives the words.</summary>
public sealed record OutgoingMessage(
    string Channel,
    string To,
    string Kind,
    string? Language = null,
    string? Code = null,
    string? Link = null,
    DateTime? ExpiresAt = null);

public static class Channels
{
    public const string Email = "email";
    public const string Sms = "sms";
}

/// <summary>The kinds of messages the server sends; each has a built-in English template.</summary>
public static class MessageKinds
{
    public const string SignupCode = "signupCode";
    public const string SignupLink = "signupLink";
    public const string VerifyCode = "verifyCode";
    public const string VerifyLink = "verifyLink";
    public const string LoginCode = "loginCode";
    public const string Invitation = "invitation";
    public const string Welcome = "welcome";
    public const string RecoveryCode = "recoveryCode";
    public const string RecoveryLink = "recoveryLink";
    /// <summary>U4: a paid plan ends soon (its end is the message's expiry).</summary>
    public const string PlanReminder = "planReminder";
    /// <summary>U4: a trial ended; the user is on the free plan now.</summary>
    public const string TrialEnded = "trialEnded";
    /// <summary>
    /// X1: not a message but the words of the provider's sign-in page: its subject is the page's
    /// heading, its text the line under it (in the browser's language where the app has one).
    /// </summary>
    public const string SignInPage = "signInPage";
    public static readonly string[] All = [SignupCode, SignupLink, VerifyCode, VerifyLink, LoginCode, Invitation, Welcome, RecoveryCode, RecoveryLink, PlanReminder, TrialEnded, SignInPage];
}

/// <summary>A rendered message as sealed in <see cref="Message.ContentSealed"/>.</summary>
public sealed record MessageContent(string To, string? From, string? Subject, string Text, string? Html, string? Code, string? Link);
