namespace PgDiscipline.Analyzers.Package;

/// <summary>The packaging project has no code of its own; this type only keeps the assembly non-empty.</summary>
internal static class PackageMarker
{
}
