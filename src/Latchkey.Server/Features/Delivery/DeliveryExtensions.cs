using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Delivery;

public static class DeliveryExtensions
{
    /// <summary>Options (checked at start), the queue, the senders of each provider and the worker of this node.</summary>
    public static IServiceCollection AddDelivery(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeliveryOptions>, DeliveryOptionsValidator>());
        services.TryAddSingleton<DeliverySignal>();
        services.TryAddScoped<MessageQueue>();

        services.AddHttpClient(TwilioSmsSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddHttpClient(WebhookSmsSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageSender, SmtpEmailSender>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageSender, TwilioSmsSender>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageSender, WebhookSmsSender>());
        services.TryAddSingleton<MessageDispatcher>();
        services.AddHostedService<DeliveryWorker>();
        return services;
    }

    public static RouteGroupBuilder MapAdminDeliveryEndpoints(this RouteGroupBuilder admin) =>
        admin.MapAdminTemplateEndpoints().MapAdminOutboxEndpoints();
}
