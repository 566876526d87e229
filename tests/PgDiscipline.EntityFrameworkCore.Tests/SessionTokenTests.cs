using Microsoft.Extensions.Logging.Abstractions;

namespace PgDiscipline.EntityFrameworkCore.Tests;

/// <summary>Session tokens come from clients: signed when keys are configured, refused when forged, garbled or oversized,
/// and the timeline they claim is only a hint for the stale-primary guard.</summary>
public sealed class SessionTokenTests
{
    private static readonly string KeyA = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string KeyB = Convert.ToBase64String(Enumerable.Range(100, 48).Select(i => (byte)i).ToArray());

    private static (PgDisciplineSession Session, PrimaryTimelineGuard Guard) Session(params string[] keys)
    {
        var options = new PgDisciplineOptions();
        foreach (var key in keys)
        {
            options.SessionTokens.SigningKeys.Add(key);
        }

        var current = new CurrentOptions(options);
        var guard = new PrimaryTimelineGuard(current, NullLogger.Instance, TimeProvider.System);
        return (new PgDisciplineSession { Timeline = guard, Codec = new SessionTokenCodec(current, NullLogger.Instance) }, guard);
    }

    [Fact]
    public void Without_keys_tokens_are_unsigned_and_a_claimed_timeline_moves_no_guard()
    {
        var (writer, writerGuard) = Session();
        writer.Captured(NpgsqlLogSequenceNumber.Parse("0/3000060"));
        Assert.Equal("pgd1.0/3000060", writer.Token);

        var (reader, guard) = Session();
        reader.Token = "pgd2.999.0/3000060"; // a forged timeline: believed only once a server shows it
        Assert.Equal(0, guard.NewestTimeline);
        Assert.Equal(NpgsqlLogSequenceNumber.Parse("0/3000060"), reader.RequiredPosition);
        Assert.Equal(0, writerGuard.NewestTimeline);
    }

    [Theory]
    [InlineData("pgd1.0/16B3748", "0/16B3748")]
    [InlineData("pgd2.2.0/16B3748", "0/16B3748")]
    [InlineData("pgd2.x.0/16B3748", null)]
    [InlineData("pgd2.0.0/16B3748", null)]
    [InlineData("pgd2.2.", null)]
    [InlineData("pgd9.2.0/1", null)]
    [InlineData("pgd3.2.0/16B3748.AAAAAAAAAAAAAAAAAAAAAA", null)] // signed, and no key here to check it
    public void Without_keys_well_formed_tokens_are_read_and_others_ignored(string token, string? position)
    {
        var (session, _) = Session();
        session.Token = token;
        Assert.Equal(position is null ? default : NpgsqlLogSequenceNumber.Parse(position), session.RequiredPosition);
    }

    [Fact]
    public void With_keys_a_token_is_signed_and_only_a_signed_one_is_read()
    {
        var (writer, _) = Session(KeyA);
        writer.Captured(NpgsqlLogSequenceNumber.Parse("16/B374D848"));
        var token = writer.Token!;
        Assert.StartsWith("pgd3.", token, StringComparison.Ordinal);

        var (reader, _) = Session(KeyA);
        reader.Token = token;
        Assert.Equal(NpgsqlLogSequenceNumber.Parse("16/B374D848"), reader.RequiredPosition);

        foreach (var forged in new[]
        {
            "pgd1.FF/FFFFFFFF",                                   // unsigned
            "pgd2.999.FF/FFFFFFFF",                               // unsigned, with a timeline
            token.Replace("16/B374D848", "FF/B374D848", StringComparison.Ordinal), // the position changed
            token[..^1] + (token[^1] == 'A' ? 'B' : 'A'),         // the signature changed
            token + new string('A', 10_000),                      // oversized
            "pgd3." + new string('9', 40) + ".0/1.x",            // garbage
        })
        {
            var (victim, guard) = Session(KeyA);
            victim.Token = forged;
            Assert.Equal(default, victim.RequiredPosition);
            Assert.Equal(0, guard.NewestTimeline);
        }
    }

    [Fact]
    public void A_second_key_verifies_tokens_signed_before_a_rotation()
    {
        var (old, _) = Session(KeyA);
        old.Captured(NpgsqlLogSequenceNumber.Parse("0/5000000"));
        var (rotated, _) = Session(KeyB, KeyA); // the new key signs, the old one still verifies
        rotated.Token = old.Token;
        Assert.Equal(NpgsqlLogSequenceNumber.Parse("0/5000000"), rotated.RequiredPosition);

        var (done, _) = Session(KeyB); // the old key dropped: its tokens are no longer read
        done.Token = old.Token;
        Assert.Equal(default, done.RequiredPosition);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    [InlineData("")]
    public void A_bad_signing_key_fails_validation_naming_its_key_without_its_value(string key)
    {
        var options = new PgDisciplineOptions();
        options.SessionTokens.SigningKeys.Add(KeyA);
        options.SessionTokens.SigningKeys.Add(key);
        var error = Assert.Single(PgDisciplineOptionsValidator.Collect(options, "PgDiscipline"));
        Assert.StartsWith("PgDiscipline:SessionTokens:SigningKeys:1 ", error, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Length > 0 ? key : "\u0001", error, StringComparison.Ordinal);
    }
}
