using System.ComponentModel;
using System.Data.Common;

namespace PgDiscipline.Pipeline;

/// <summary>
/// Finds a command's execution again from EF Core's later events. The execution rides on the command itself, in
/// <see cref="Component.Site"/> (a designer-hosting slot that neither EF Core nor Npgsql uses; EF Core creates a command
/// per execution), and is matched against EF Core's <c>CommandId</c> on every lookup: no side table, no lookup by text,
/// nothing allocated. A command whose slot is taken by someone else simply has no execution.
/// </summary>
internal static class Executions
{
    public static void Attach(DbCommand command, CommandExecution execution)
    {
        if (command.Site is null or CommandExecution)
        {
            command.Site = execution;
        }
    }

    public static CommandExecution? Find(DbCommand command, Guid commandId)
        => command.Site is CommandExecution execution && execution.CommandId == commandId ? execution : null;

    public static void Detach(CommandExecution execution)
    {
        if (execution.Command is { } command && ReferenceEquals(command.Site, execution))
        {
            command.Site = null;
        }
    }
}

/// <summary>The <see cref="ISite"/> face of an execution (only so it can sit in <see cref="Component.Site"/>).</summary>
internal sealed partial class CommandExecution : ISite
{
    IComponent ISite.Component => Command;

    IContainer? ISite.Container => null;

    bool ISite.DesignMode => false;

    string? ISite.Name
    {
        get => null;
        set { }
    }

    object? IServiceProvider.GetService(Type serviceType) => null;
}
