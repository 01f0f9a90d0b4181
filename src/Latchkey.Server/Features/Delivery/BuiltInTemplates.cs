namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// The English wording of every kind of message, used where an app wrote no template of its own
/// (in the device's language or in <c>en</c>).
/// </summary>
public static class BuiltInTemplates
{
    private const string IgnoreIt = "If you did not ask for this, you can ignore this message.";

    private static readonly Dictionary<string, TemplateParts> Templates = new()
    {
        [MessageKinds.SignupCode] = WithCode(
            "Your {{appName}} sign-up code",
            "Enter this code to finish signing up for {{appName}}:",
            "{{code}} is your {{appName}} sign-up code. It expires in {{expiresIn}}."),
        [MessageKinds.VerifyCode] = WithCode(
            "Confirm your email for {{appName}}",
            "Enter this code in {{appName}} to confirm that this address is yours:",
            "{{code}} is your {{appName}} verification code. It expires in {{expiresIn}}."),
        [MessageKinds.LoginCode] = WithCode(
            "Your {{appName}} sign-in code",
            "Enter this code to sign in to {{appName}}:",
            "{{code}} is your {{appName}} sign-in code. It expires in {{expiresIn}}."),
        [MessageKinds.RecoveryCode] = WithCode(
            "Reset your {{appName}} password",
            "Enter this code in {{appName}} to choose a new password:",
            "{{code}} is your {{appName}} password reset code. It expires in {{expiresIn}}."),
        [MessageKinds.Invitation] = WithCode(
            "You are invited to {{appName}}",
            "You have been invited to join {{appName}}. Your invitation code is:",
            "You are invited to {{appName}}. Your invitation code is {{code}}; it expires in {{expiresIn}}.",
            "The invitation expires in {{expiresIn}}. If you did not expect it, you can ignore this message."),
        [MessageKinds.SignupLink] = WithLink(
            "Finish signing up for {{appName}}",
            "Open this link to finish signing up for {{appName}}:",
            "Finish signing up for {{appName}}: {{link}} (expires in {{expiresIn}})"),
        [MessageKinds.VerifyLink] = WithLink(
            "Confirm your email for {{appName}}",
            "Open this link to confirm that this address is yours for {{appName}}:",
            "Confirm your {{appName}} account: {{link}} (expires in {{expiresIn}})"),
        [MessageKinds.RecoveryLink] = WithLink(
            "Reset your {{appName}} password",
            "Open this link to choose a new password for {{appName}}:",
            "Reset your {{appName}} password: {{link}} (expires in {{expiresIn}})"),
        [MessageKinds.Welcome] = new(
            "Welcome to {{appName}}",
            "Welcome to {{appName}}! Your account is ready.",
            Layout("<p>Welcome to <strong>{{appName}}</strong>! Your account is ready.</p>"),
            "Welcome to {{appName}}! Your account is ready."),
        [MessageKinds.PlanReminder] = new(
            "Your {{appName}} plan ends in {{expiresIn}}",
            "Your paid plan for {{appName}} ends on {{expiresAt}}, in {{expiresIn}}. Renew it before then to keep it; "
                + "otherwise your account moves to the free plan on that day.\n\n{{appName}}",
            Layout("<p>Your paid plan for <strong>{{appName}}</strong> ends on <strong>{{expiresAt}}</strong>, in {{expiresIn}}.</p>\n"
                + "<p>Renew it before then to keep it; otherwise your account moves to the free plan on that day.</p>"),
            "Your {{appName}} plan ends on {{expiresAt}} (in {{expiresIn}}). Renew it to keep it."),
        [MessageKinds.TrialEnded] = new(
            "Your {{appName}} trial has ended",
            "Your trial of {{appName}} has ended, and your account is on the free plan now. You can upgrade at any time.\n\n{{appName}}",
            Layout("<p>Your trial of <strong>{{appName}}</strong> has ended, and your account is on the free plan now.</p>\n"
                + "<p>You can upgrade at any time.</p>"),
            "Your {{appName}} trial has ended; you are on the free plan now."),
        // Note: a page, not a message: no line under the heading unless the app writes one; html and sms are not used.
        [MessageKinds.SignInPage] = new("Sign in to {{appName}}", "", "", ""),
    };

    public static TemplateParts For(string kind) =>
        Templates.TryGetValue(kind, out var template) ? template : throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a message kind.");

    /// <summary>The frame of the built-in HTML bodies: inline styles only, as mail clients want.</summary>
    public static string Layout(string inner) =>
        "<!DOCTYPE html>\n<html><body style=\"margin:0;padding:24px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2328\">\n"
        + inner
        + "\n</body></html>";

    private static TemplateParts WithCode(string subject, string lead, string sms, string? after = null)
    {
        after ??= "The code expires in {{expiresIn}}. " + IgnoreIt;
        return new(
            subject,
            lead + "\n\n    {{code}}\n\n" + after + "\n\n{{appName}}",
            Layout("<p>" + lead + "</p>\n"
                + "<p style=\"font-size:28px;font-weight:bold;letter-spacing:6px;font-family:ui-monospace,Menlo,Consolas,monospace\">{{code}}</p>\n"
                + "<p style=\"color:#59636e\">" + after + "</p>"),
            sms);
    }

    private static TemplateParts WithLink(string subject, string lead, string sms) =>
        new(
            subject,
            lead + "\n\n{{link}}\n\nThe link expires in {{expiresIn}}. " + IgnoreIt + "\n\n{{appName}}",
            Layout("<p>" + lead + "</p>\n"
                + "<p><a href=\"{{link}}\" style=\"display:inline-block;padding:10px 18px;background:#1f6feb;color:#ffffff;text-decoration:none;border-radius:6px\">Continue</a></p>\n"
                + "<p style=\"color:#59636e;word-break:break-all\">Or paste this address into your browser: {{link}}</p>\n"
                + "<p style=\"color:#59636e\">The link expires in {{expiresIn}}. " + IgnoreIt + "</p>"),
            sms);
}
