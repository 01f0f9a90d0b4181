namespace Latchkey.Server;

/// <summary>
/// The deployment's settings, from LATCHKEY_* environment variables (docs/api.md "Running it")
/// or the equivalent <c>Latchkey:*</c> configuration keys.
/// </summary>
public sealed class LatchkeyOptions
{
    public string Database { get; set; } = "Data Source=data/latchkey.db";
    /// <summary>Connection string of the per-user key store; derived from <see cref="Database"/> when empty.</summary>
    public string? KeyStoreDatabase { get; set; }
    public string KeysDir { get; set; } = "data/keys";
    public string? MasterKey { get; set; }
    /// <summary>
    /// Where versions before the key store wrote signed audit checkpoints (<c>{KeysDir}/audit-checkpoints</c>
    /// when empty); read once at start to move them into the key store.
    /// </summary>
    public string? AuditCheckpointsDir { get; set; }
    public string? PublicUrl { get; set; }
    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }
    /// <summary>Comma-separated IPs and CIDR networks of reverse proxies whose X-Forwarded-For is believed (S2, S5).</summary>
    public string? TrustedProxies { get; set; }

    public bool UsesPostgres => Database.TrimStart().StartsWith("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads LATCHKEY_X into Latchkey:X so one binding serves both spellings.</summary>
    public static void MapEnvironment(ConfigurationManager configuration)
    {
        (string Env, string Key)[] names =
        [
            ("LATCHKEY_DATABASE", "Database"), ("LATCHKEY_KEYSTORE_DATABASE", "KeyStoreDatabase"),
            ("LATCHKEY_KEYS_DIR", "KeysDir"), ("LATCHKEY_AUDIT_CHECKPOINTS_DIR", "AuditCheckpointsDir"), ("LATCHKEY_MASTER_KEY", "MasterKey"), ("LATCHKEY_PUBLIC_URL", "PublicUrl"),
            ("LATCHKEY_ADMIN_EMAIL", "AdminEmail"), ("LATCHKEY_ADMIN_PASSWORD", "AdminPassword"),
            ("LATCHKEY_TRUSTED_PROXIES", "TrustedProxies"),
            ("LATCHKEY_WEBAUTHN_ORIGINS", "WebAuthn:Origins"), ("LATCHKEY_WEBAUTHN_RP_ID", "WebAuthn:RpId"),
            ("LATCHKEY_DELIVERY", "Delivery:Mode"),
            ("LATCHKEY_SMTP_HOST", "Delivery:Smtp:Host"), ("LATCHKEY_SMTP_PORT", "Delivery:Smtp:Port"),
            ("LATCHKEY_SMTP_SECURITY", "Delivery:Smtp:Security"), ("LATCHKEY_SMTP_USERNAME", "Delivery:Smtp:Username"),
            ("LATCHKEY_SMTP_PASSWORD", "Delivery:Smtp:Password"), ("LATCHKEY_SMTP_FROM", "Delivery:Smtp:From"),
            ("LATCHKEY_SMS", "Delivery:Sms:Provider"),
            ("LATCHKEY_TWILIO_ACCOUNT_SID", "Delivery:Sms:Twilio:AccountSid"), ("LATCHKEY_TWILIO_AUTH_TOKEN", "Delivery:Sms:Twilio:AuthToken"),
            ("LATCHKEY_TWILIO_FROM", "Delivery:Sms:Twilio:From"), ("LATCHKEY_TWILIO_MESSAGING_SERVICE_SID", "Delivery:Sms:Twilio:MessagingServiceSid"),
            ("LATCHKEY_TWILIO_BASE_URL", "Delivery:Sms:Twilio:BaseUrl"),
            ("LATCHKEY_SMS_WEBHOOK_URL", "Delivery:Sms:Webhook:Url"), ("LATCHKEY_SMS_WEBHOOK_SECRET", "Delivery:Sms:Webhook:Secret"),
        ];
        var mapped = new Dictionary<string, string?>();
        foreach (var (env, key) in names)
        {
            if (configuration[env] is { Length: > 0 } value)
            {
                mapped["Latchkey:" + key] = value;
            }
        }
        configuration.AddInMemoryCollection(mapped);
    }
}
