namespace PgDiscipline;

/// <summary>Read-your-writes session tokens (<see cref="PgDisciplineSession.Token"/>), which clients carry from one
/// request to the next: their integrity.</summary>
public sealed class SessionTokenOptions
{
    /// <summary>HMAC-SHA256 keys, base64, at least 32 bytes each: the first signs tokens, every one verifies them (to rotate,
    /// add the new key second, make it first once every instance has it, then drop the old one). With keys, a token that is
    /// unsigned or badly signed counts as no token. Without keys, tokens are not signed and any well-formed one is read;
    /// either way a token's claim about the primary's timeline is only believed once a server shows it.</summary>
    public IList<string> SigningKeys { get; } = new List<string>();
}
