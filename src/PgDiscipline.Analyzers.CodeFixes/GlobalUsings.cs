global using PgDiscipline.Sql;
