using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace PgDiscipline.Configuration;

/// <summary>The JSON form of the options, for <see cref="PgDisciplineOptionsExtension.Canonical"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(PgDisciplineOptions))]
internal sealed partial class PgDisciplineOptionsJson : JsonSerializerContext;
