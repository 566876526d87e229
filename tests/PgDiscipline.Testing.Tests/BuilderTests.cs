using PgDiscipline.Testing;

namespace PgDiscipline.Testing.Tests;

/// <summary>What needs no Docker engine: bad input and a missing engine give clear errors.</summary>
public sealed class BuilderTests
{
    [Fact]
    public async Task A_missing_Docker_engine_says_what_to_install_and_where_it_looked()
    {
        var endpoint = "unix:///tmp/pgdiscipline-no-such-docker.sock";
        var ex = await Assert.ThrowsAsync<DockerEngineUnavailableException>(
            () => new PgClusterBuilder().WithImage("any:tag").WithDockerEndpoint(endpoint).WithStartupTimeout(TimeSpan.FromSeconds(30)).StartAsync());
        Assert.Contains(endpoint, ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install docker.io", ex.Message, StringComparison.Ordinal);
        Assert.Contains("build/image.sh", ex.Message, StringComparison.Ordinal);
        Assert.Equal(endpoint, ex.Endpoint);
    }

    [Fact]
    public void Invalid_builder_input_is_refused_naming_the_argument()
    {
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => new PgClusterBuilder().WithReplicas(-1)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => new PgClusterBuilder().WithReplicas(9)).ParamName);
        Assert.Equal("password", Assert.Throws<ArgumentException>(() => new PgClusterBuilder().WithDatabase("db", "u", "a\"b")).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => new PgClusterBuilder().WithImage(" ")).ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => new PgClusterBuilder().WithStartupTimeout(TimeSpan.Zero)).ParamName);
    }
}
