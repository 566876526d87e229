namespace PgDiscipline.Configuration;

/// <summary>The signing keys of <see cref="SessionTokenOptions"/>, decoded.</summary>
internal static class SessionTokenKeys
{
    public const int MinimumBytes = 32;

    /// <summary>The key's bytes, or null when it is not base64 of at least <see cref="MinimumBytes"/> bytes.</summary>
    public static byte[]? Decode(string? key)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > 1024)
        {
            return null;
        }

        var bytes = new byte[key.Length];
        return Convert.TryFromBase64String(key.Trim(), bytes, out var written) && written >= MinimumBytes ? bytes[..written] : null;
    }
}
