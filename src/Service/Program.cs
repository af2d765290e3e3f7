using GracefulUpgrade.Service.Endpoints;
using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Lifetime;

try
{
    StartupSelfCheck.WarmUpInBackground();
    var builder = ServiceHost.CreateBuilder(args);

    builder.AddServiceConfiguration(args);
    builder.AddServiceOptions();
    builder.AddSharedPortListener();
    builder.AddSystemdIntegration();
    builder.AddReadinessAndDrain();
    builder.AddReloadInPlace();

    var app = builder.Build();

    app.UseServiceHeaders();
    app.MapServiceEndpoints();

    return await app.RunServiceAsync();
}
catch (Exception ex)
{
    // Only reached before logging exists, e.g. a conffile that is not valid JSON.
    return StartupFailure.WriteToStandardError(ex);
}
