#if NETSTANDARD2_0
namespace System.Runtime.CompilerServices;

/// <summary>Lets netstandard2.0 compile records and init-only properties (the runtime ignores this type).</summary>
internal static class IsExternalInit
{
}
#endif
