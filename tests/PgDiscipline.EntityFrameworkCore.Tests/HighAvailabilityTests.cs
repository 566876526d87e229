using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgDiscipline.HighAvailability;

namespace PgDiscipline.EntityFrameworkCore.Tests;

/// <summary>The pure parts of stale-primary refusal: host lists, WAL file names, session tokens, options.</summary>
public sealed class HighAvailabilityTests
{
    [Fact]
    public void Hosts_of_a_multi_host_string_get_their_own_or_the_default_port()
    {
        var hosts = MultiHost.Hosts("Host=db1:5433,db2,[::1]:6000;Port=5432;Username=app");
        Assert.Equal(["db1:5433", "db2:5432", "::1:6000"], hosts.Select(h => h.Key));
        Assert.Equal(["db1:5433", "db2:5432", "[::1]:6000"], hosts.Select(h => h.Item));
    }

    [Fact]
    public void Without_leaves_out_fenced_hosts_and_keeps_everything_else()
    {
        const string cs = "Host=old:5432,new:5433;Database=app;Username=u;Password=secret;Target Session Attributes=read-write";
        var two = MultiHost.Without(cs, ["nobody:1"]);
        Assert.Same(cs, two);

        var one = new NpgsqlConnectionStringBuilder(MultiHost.Without(cs, ["OLD:5432"])!);
        Assert.Equal("new:5433", one.Host);
        Assert.Equal("secret", one.Password);
        Assert.Equal("app", one.Database);
        Assert.Null(one.TargetSessionAttributes); // Npgsql refuses it with a single host

        Assert.Null(MultiHost.Without(cs, ["old:5432", "new:5433"]));
    }

    [Fact]
    public void Three_hosts_minus_one_keep_target_session_attributes()
    {
        var cs = MultiHost.Without("Host=a,b,c;Target Session Attributes=read-write", ["b:5432"])!;
        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal("a:5432,c:5432", b.Host);
        Assert.Equal("read-write", b.TargetSessionAttributes);
    }

    [Fact]
    public void Only_looks_at_one_host_unpooled_whatever_its_role()
    {
        var b = new NpgsqlConnectionStringBuilder(MultiHost.Only("Host=a:1,b:2;Target Session Attributes=read-write;Password=p", "b:2"));
        Assert.Equal("b:2", b.Host);
        Assert.False(b.Pooling);
        Assert.Equal("any", b.TargetSessionAttributes);
        Assert.Equal("p", b.Password);
    }

    [Theory]
    [InlineData("000000010000000000000005", 1L)]
    [InlineData("0000000A0000000300000042", 10L)]
    [InlineData("00000000", null)]
    [InlineData("zz", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_timeline_is_the_first_eight_hex_digits_of_a_wal_file_name(string? name, long? timeline)
        => Assert.Equal(timeline, PrimaryTimelineGuard.ParseTimeline(name));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(601)]
    public void An_invalid_recheck_interval_names_its_key(int seconds)
    {
        var options = new PgDisciplineOptions();
        options.HighAvailability.RecheckInterval = TimeSpan.FromSeconds(seconds);
        var errors = PgDisciplineOptionsValidator.Collect(options, "PgDiscipline");
        Assert.Contains(errors, e => e.StartsWith("PgDiscipline:HighAvailability:RecheckInterval", StringComparison.Ordinal));
    }
}
