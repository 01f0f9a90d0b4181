using Latchkey.Server.Features.Anonymous;
using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Home;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Introspection;
using Latchkey.Server.Features.Invitations;
using Latchkey.Server.Features.IpRanges;
using Latchkey.Server.Features.Jobs;
using Latchkey.Server.Features.Login;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Oidc;
using Latchkey.Server.Features.OidcClients;
using Latchkey.Server.Features.Passkeys;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Pin;
using Latchkey.Server.Features.Plans;
using Latchkey.Server.Features.Profile;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Recovery;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Setup;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Usernames;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features;

public static class FeatureExtensions
{
    public static WebApplicationBuilder AddLatchkeyFeatures(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PasswordOptions>().BindConfiguration(PasswordOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<PasswordPolicy>();
        services.AddSingleton<SigningKeyCache>();
        services.AddSingleton<VerifiedAccessTokens>();
        services.AddSingleton<JwksDocuments>();
        services.AddSingleton<AppCache>();
        services.AddScoped<SigningKeys>();
        services.AddSingleton<Issuers>();
        services.AddScoped<AccessTokenValidator>();
        services.AddScoped<AccessTokens>();
        services.AddScoped<AppService>();
        services.AddScoped<UserAccounts>();
        services.AddHostedService<EmailIndexBackfill>();
        services.AddScoped<UserProfiles>();
        services.AddSessions();
        services.AddScoped<Bootstrap>();
        services.AddScoped<FirstSuperAdmin>();
        services.AddSingleton<SetupState>();
        services.AddDelivery();
        services.AddSingleton<ChallengeSignals>();
        services.AddHostedService<PostgresChallengeListener>();
        services.AddHostedService<ExpiredRowsCleanup>();
        services.AddScoped<ChallengeService>();
        services.AddScoped<VerificationFlows>();
        services.AddScoped<InvitationService>();
        services.AddScoped<PasswordRecovery>();
        services.AddAudit();
        services.AddScoped<AdminAccess>();
        services.AddCustomRoles();
        services.AddJobLeases();
        services.AddPlans();
        services.AddPasskeys();
        services.AddMfa();
        services.AddPin();
        services.AddSigningKeyRotation();
        services.AddIntrospection();
        services.AddOidcProvider();
        services.AddScoped<AuthorizeEndpoint>();
        services.AddRateLimits();
        services.AddClientAddress();
        services.AddHttpContextAccessor();

        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddValidation();
        return builder;
    }

    public static WebApplication MapLatchkeyApi(this WebApplication app)
    {
        var appScoped = app.MapGroup("/v1/apps/{appId}").WithTags("App");
        appScoped.ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        appScoped.RequireAllowedNetwork().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        appScoped.MapConfigEndpoints().MapDiscoveryEndpoints().MapSignUpEndpoints().MapLoginEndpoints().MapCodeLoginEndpoints()
            .MapAnonymousEndpoints().MapUsernameEndpoints().MapInvitationEndpoints().MapPasswordRecoveryEndpoints().MapTokenEndpoints()
            .MapAppMetadataEndpoints();
        appScoped.MapMfaLoginEndpoints();
        appScoped.MapPasskeyLoginEndpoints();
        appScoped.MapIntrospectionEndpoints();
        appScoped.MapOidcProviderEndpoints();

        var signedIn = app.MapGroup("/v1/apps/{appId}").WithTags("Signed-in user").RequireAuthorization();
        signedIn.ProducesProblem(StatusCodes.Status401Unauthorized);
        signedIn.RequireAllowedNetwork().ProducesProblem(StatusCodes.Status403Forbidden);
        signedIn.MapSessionEndpoints().MapProfileEndpoints().MapUpgradeEndpoints().MapPublicProfileEndpoints();
        signedIn.MapMfaEndpoints();
        signedIn.MapPasskeyEndpoints();
        signedIn.MapPinEndpoints();
        signedIn.MapOidcUserInfoEndpoint();

        var admin = app.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization();
        admin.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.RequireMfaOfAdmins();
        admin.MapAdminAppEndpoints().MapAdminUserEndpoints().MapAdminUserChangeEndpoints().MapAdminDeliveryEndpoints().MapAdminServerKeyEndpoints();
        admin.MapAdminSigningKeyEndpoints();
        admin.MapAdminSessionEndpoints();
        admin.MapAdminAuditEndpoints();
        admin.MapAdminRoleEndpoints();
        admin.MapAdminPlanEndpoints();
        admin.MapAdminOidcClientEndpoints();

        app.MapSetupEndpoints();
        app.MapHomePage();
        return app;
    }
}
