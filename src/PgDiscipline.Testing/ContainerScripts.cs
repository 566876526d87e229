namespace PgDiscipline.Testing;

/// <summary>
/// What the containers run besides the image's own entrypoint (bash, copied into each container before it starts). A
/// PostgreSQL node keeps the official image's start-up (<c>docker-entrypoint.sh</c>: initdb from POSTGRES_USER /
/// POSTGRES_PASSWORD / POSTGRES_DB, then <c>/docker-entrypoint-initdb.d</c>) under a small supervisor, so a fault can stop
/// the server like a crash and start it again while the container, and so its randomly mapped port, stays.
/// </summary>
internal static class ContainerScripts
{
    public const string Directory = "/pgdiscipline";
    public const string NodePath = Directory + "/node.sh";
    public const string PgBouncerPath = Directory + "/pgbouncer.sh";
    public const string ReplicationInitPath = "/docker-entrypoint-initdb.d/50-pgdiscipline-replication.sh";

    /// <summary>The supervisor: a replica's first start takes a base backup from the primary (the entrypoint then finds a
    /// data directory and only starts the server); a server stopped by <see cref="Crash"/> waits for <see cref="Resume"/>;
    /// any other exit ends the container (Testcontainers then reports it as exited, with its log).</summary>
    public const string Node = """
        #!/usr/bin/env bash
        set -u
        down=/tmp/pgdiscipline.down; waiting=/tmp/pgdiscipline.waiting
        if [ "$PGD_ROLE" = replica ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
          until pg_isready -q -h "$PGD_UPSTREAM" -p 5432; do sleep 0.2; done
          PGPASSWORD="$POSTGRES_PASSWORD" pg_basebackup -h "$PGD_UPSTREAM" -p 5432 -U "$POSTGRES_USER" -D "$PGDATA" \
            -R -X stream -c fast -C -S "$PGD_NODE" || { echo "pgdiscipline: base backup of $PGD_NODE failed"; exit 1; }
        fi
        stopping=0; child=
        forward() { stopping=1; [ -n "$child" ] && kill "-$1" "$child" 2>/dev/null; }
        trap 'forward INT' INT
        trap 'forward TERM' TERM
        while :; do
          rm -f "$waiting"
          "$@" &
          child=$!
          echo "$child" > /tmp/pgdiscipline.pid
          code=0
          while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
          [ "$stopping" = 1 ] && exit "$code"
          if [ -e "$down" ]; then
            echo "pgdiscipline: $PGD_NODE stopped by a fault; waiting to be started again"
            touch "$waiting"
            while [ -e "$down" ] && [ "$stopping" = 0 ]; do sleep 0.1; done
            [ "$stopping" = 1 ] && exit 0
            continue
          fi
          echo "pgdiscipline: $PGD_NODE exited with status $code"
          exit "$code"
        done
        """;

    /// <summary>Runs once, on the primary's first start (the official image's init-script contract): remote replication
    /// connections with the password, and pg_stat_statements in the application database.</summary>
    public const string ReplicationInit = """
        #!/usr/bin/env bash
        set -eu
        printf '\nhost replication all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
        psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
          -c 'create extension if not exists pg_stat_statements'
        """;

    /// <summary>PgBouncer in transaction mode in front of the primary (container alias <c>primary</c>), plus the
    /// <c>&lt;database&gt;_single</c> alias whose pool has one server connection. A missing pgbouncer ends the container
    /// within seconds with a line that says so.</summary>
    public const string PgBouncer = """
        #!/usr/bin/env bash
        set -eu
        bin="$(command -v pgbouncer || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; } || true)"
        if [ -z "$bin" ]; then
          echo "pgdiscipline: pgbouncer is not installed in this image"
          # Exit only once Docker has published the port: Testcontainers waits 15 s for the ports of a container that is
          # already gone before it looks at why.
          sleep 3
          exit 127
        fi
        mkdir -p /tmp/pgbouncer
        printf '"%s" "%s"\n' "$POSTGRES_USER" "$POSTGRES_PASSWORD" > /tmp/pgbouncer/userlist.txt
        cat > /tmp/pgbouncer/pgbouncer.ini <<CONF
        [databases]
        $POSTGRES_DB = host=$PGD_UPSTREAM port=5432 dbname=$POSTGRES_DB
        ; one server connection: what leaks between clients that share it
        ${POSTGRES_DB}_single = host=$PGD_UPSTREAM port=5432 dbname=$POSTGRES_DB pool_size=1
        * = host=$PGD_UPSTREAM port=5432

        [pgbouncer]
        listen_addr = 0.0.0.0
        listen_port = 6432
        unix_socket_dir =
        auth_type = scram-sha-256
        auth_file = /tmp/pgbouncer/userlist.txt
        admin_users = $POSTGRES_USER
        pool_mode = transaction
        default_pool_size = 8
        max_client_conn = 1000
        server_reset_query =
        server_login_retry = 1
        ignore_startup_parameters = extra_float_digits
        CONF
        exec "$bin" /tmp/pgbouncer/pgbouncer.ini
        """;

    /// <summary>Stops the supervised process like a crash (<paramref name="signal"/>: QUIT is PostgreSQL's immediate
    /// shutdown; KILL for PgBouncer) and returns once the supervisor waits to start it again.</summary>
    public static string Crash(string signal) => $"""
        touch /tmp/pgdiscipline.down
        kill -{signal} "$(cat /tmp/pgdiscipline.pid)" 2>/dev/null || true
        for _ in $(seq 1 600); do [ -e /tmp/pgdiscipline.waiting ] && exit 0; sleep 0.05; done
        echo "the process did not stop" >&2; exit 1
        """;

    /// <summary>Lets the supervisor start the process again.</summary>
    public const string Resume = "rm -f /tmp/pgdiscipline.down";

    /// <summary>The Dockerfile that adds PgBouncer to an official postgres image (Debian or Alpine based).</summary>
    public static string AddPgBouncerDockerfile(string baseImage) => $"""
        FROM {baseImage}
        USER root
        RUN if command -v apt-get >/dev/null; then apt-get update && apt-get install -y --no-install-recommends pgbouncer \
              && rm -rf /var/lib/apt/lists/*; else apk add --no-cache pgbouncer bash; fi
        """;
}
