namespace PgDiscipline.Testing;

/// <summary>
/// What each container runs (bash, as the <c>postgres</c> OS user): the same topology as <c>build/cluster.sh</c>. The
/// scripts work on the official PostgreSQL image and on Debian's packages (<c>build/image.sh</c>): both keep the server
/// binaries under <c>/usr/lib/postgresql/&lt;major&gt;/bin</c>. A container that is stopped and started again keeps its data
/// directory and only starts the server.
/// </summary>
internal static class ContainerScripts
{
    /// <summary>Where the server binaries are, whatever the major version of the image.</summary>
    private const string Prelude = """
        set -eu
        export PGDATA=/tmp/pgdata
        PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
        export PATH="$PGBIN:$PATH"
        """;

    public const string Primary = Prelude + """

        if [ ! -s "$PGDATA/PG_VERSION" ]; then
          printf '%s\n' "$PGD_PASSWORD" > /tmp/pwfile
          initdb -D "$PGDATA" -U "$PGD_USER" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 > /tmp/initdb.log 2>&1 || { cat /tmp/initdb.log; exit 1; }
          rm -f /tmp/pwfile
          printf 'host all all 0.0.0.0/0 scram-sha-256\nhost replication all 0.0.0.0/0 scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
          cat >> "$PGDATA/postgresql.conf" <<CONF
        listen_addresses = '*'
        unix_socket_directories = '/tmp'
        max_connections = 200
        shared_buffers = 64MB
        wal_level = replica
        max_wal_senders = 16
        max_replication_slots = 16
        wal_keep_size = 256MB
        hot_standby = on
        hot_standby_feedback = on
        wal_receiver_status_interval = 1s
        wal_log_hints = on
        shared_preload_libraries = 'pg_stat_statements'
        pg_stat_statements.track = all
        fsync = off
        log_min_messages = warning
        cluster_name = 'primary'
        CONF
          printf '%s\n' "$PGD_SETTINGS" >> "$PGDATA/postgresql.conf"
          pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p $PGD_PORT" -w -t 60 start > /dev/null
          psql -X -q -h /tmp -p "$PGD_PORT" -U "$PGD_USER" -d postgres -c "create database \"$PGD_DB\""
          psql -X -q -h /tmp -p "$PGD_PORT" -U "$PGD_USER" -d "$PGD_DB" -c "create extension if not exists pg_stat_statements"
          pg_ctl -D "$PGDATA" -w -t 60 stop > /dev/null
        fi
        echo "pgdiscipline: primary starting"
        exec postgres -D "$PGDATA" -p "$PGD_PORT"
        """;

    public const string Replica = Prelude + """

        if [ ! -s "$PGDATA/PG_VERSION" ]; then
          until pg_isready -q -h "$PGD_UPSTREAM" -p "$PGD_UPSTREAM_PORT"; do sleep 0.2; done
          PGPASSWORD="$PGD_PASSWORD" pg_basebackup -h "$PGD_UPSTREAM" -p "$PGD_UPSTREAM_PORT" -U "$PGD_USER" -D "$PGDATA" \
            -R -X stream -c fast -C -S "$PGD_NAME"
          printf "cluster_name = '%s'\n" "$PGD_NAME" >> "$PGDATA/postgresql.conf"
        fi
        echo "pgdiscipline: $PGD_NAME starting"
        exec postgres -D "$PGDATA" -p "$PGD_PORT"
        """;

    public const string PgBouncer = """
        set -eu
        mkdir -p /tmp/pgbouncer
        printf '"%s" "%s"\n' "$PGD_USER" "$PGD_PASSWORD" > /tmp/pgbouncer/userlist.txt
        cat > /tmp/pgbouncer/pgbouncer.ini <<CONF
        [databases]
        $PGD_DB = host=$PGD_UPSTREAM port=$PGD_UPSTREAM_PORT dbname=$PGD_DB
        ; one server connection: what leaks between clients that share it
        ${PGD_DB}_single = host=$PGD_UPSTREAM port=$PGD_UPSTREAM_PORT dbname=$PGD_DB pool_size=1
        * = host=$PGD_UPSTREAM port=$PGD_UPSTREAM_PORT

        [pgbouncer]
        listen_addr = 0.0.0.0
        listen_port = $PGD_PORT
        unix_socket_dir =
        auth_type = scram-sha-256
        auth_file = /tmp/pgbouncer/userlist.txt
        admin_users = $PGD_USER
        pool_mode = transaction
        default_pool_size = 8
        max_client_conn = 1000
        server_reset_query =
        ignore_startup_parameters = extra_float_digits
        CONF
        echo "pgdiscipline: pgbouncer starting"
        exec "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" /tmp/pgbouncer/pgbouncer.ini
        """;

    /// <summary>Stops the container's server like a crash; the container stops with it (the server is its main process).</summary>
    public const string StopImmediately = Prelude + """

        pg_ctl -D "$PGDATA" stop -m immediate
        """;

    /// <summary>The Dockerfile that adds PgBouncer to an image that has PostgreSQL only (the official image).</summary>
    public static string AddPgBouncerDockerfile(string baseImage) => $"""
        FROM {baseImage}
        RUN apt-get update && apt-get install -y --no-install-recommends pgbouncer && rm -rf /var/lib/apt/lists/*
        """;
}
