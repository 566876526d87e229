namespace PgDiscipline.Sql.Migrations;

/// <summary>Reads <c>DROP …</c>: tables, indexes, views, triggers, databases, types.</summary>
internal static class DropReader
{
    public static void Read(StatementTokens s, List<SchemaOperation> ops)
    {
        var kind = s.Word(1);
        var i = 2;
        var materialized = kind == "materialized" && s.IsWord(2, "view");
        if (materialized)
        {
            kind = "view";
            i = 3;
        }

        var concurrently = kind == "index" && s.IsWord(i, "concurrently");
        i = s.Skip(i, "concurrently");
        var ifExists = s.IsWord(i, "if") && s.IsWord(i + 1, "exists");
        i = s.Skip(i, "if", "exists");
        var cascade = s.Has("cascade", i, s.Count, 0);
        switch (kind)
        {
            case "table":
                foreach (var table in s.Names(ref i))
                {
                    ops.Add(new DropTable(table) { IfExists = ifExists, Cascade = cascade });
                }

                break;
            case "index":
                foreach (var index in s.Names(ref i))
                {
                    ops.Add(new DropIndex(index, index) { Concurrently = concurrently, IfExists = ifExists });
                }

                break;
            case "view":
                foreach (var view in s.Names(ref i))
                {
                    ops.Add(new DropView(view) { Materialized = materialized, IfExists = ifExists });
                }

                break;
            case "trigger":
                var on = s.Find("on", i, s.Count, 0);
                s.Name(on + 1, out var table1);
                ops.Add(new DropTrigger(table1 ?? "?"));
                break;
            case "database":
                s.Name(i, out var database);
                ops.Add(new DropDatabase(database ?? "?"));
                break;
            case "type":
                foreach (var type in s.Names(ref i))
                {
                    ops.Add(new DropType(type) { IfExists = ifExists, Cascade = cascade });
                }

                break;
            case "schema" or "function" or "procedure" or "routine" or "domain" or "extension" or "sequence" or "aggregate" or "operator" when cascade:
                s.Name(i, out var dropped);
                ops.Add(new DropCascade(kind!, dropped ?? "?"));
                break;
            default:
                ops.Add(new OtherStatement("drop"));
                break;
        }
    }
}
