package io.sluice.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A physical streaming standby of a {@link LocalPostgres}: zonky ships no {@code pg_basebackup},
 * so the base backup is taken the way it is built: {@code pg_backup_start}, a copy of the running
 * server's data directory, {@code pg_backup_stop} (whose backup label goes into the copy), then
 * the copy starts with {@code standby.signal}, streaming from the primary through a physical slot
 * of its own (created before the backup, so the primary keeps every WAL segment the standby needs).
 * Failover slots (PostgreSQL 17) need the standby's {@code sync_replication_slots} and
 * {@code hot_standby_feedback}; a caller adds them as settings.
 */
public final class PhysicalStandby {

    private static final Logger log = LoggerFactory.getLogger(PhysicalStandby.class);
    /** What a base backup leaves out: the server's runtime files and what is rebuilt at start (PostgreSQL's backup docs). */
    private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "epg-lock",
            "backup_label", "tablespace_map", "standby.signal", "recovery.signal");
    private static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem",
            "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans");

    private PhysicalStandby() {
    }

    /** The name of the physical slot a standby called {@code name} streams from. */
    public static String slotName(String name) {
        return "standby_" + name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    /**
     * Takes a base backup of {@code primary} into {@code baseDirectory}/{@code name} and starts it as
     * a hot standby streaming from it; {@code standby} may carry more settings (it is given the data
     * directory and kept data here).
     */
    public static LocalPostgres start(LocalPostgres primary, String name, Path baseDirectory,
                                      LocalPostgres.Builder standby) {
        Path target = baseDirectory.resolve(name);
        String slot = slotName(name);
        long t0 = System.nanoTime();
        try (Connection c = primary.connect()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_create_physical_replication_slot(?, true) WHERE NOT EXISTS"
                            + " (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
                ps.setString(1, slot);
                ps.setString(2, slot);
                ps.execute();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_backup_start(?, true)")) {
                ps.setString(1, "sluice standby " + name);
                ps.execute();
            }
            copy(primary.dataDirectory(), target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
            try (PreparedStatement ps = c.prepareStatement("SELECT labelfile, spcmapfile FROM pg_backup_stop(true)");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                Files.writeString(target.resolve("backup_label"), rs.getString(1));
                String spcmap = rs.getString(2);
                if (spcmap != null && !spcmap.isEmpty()) {
                    Files.writeString(target.resolve("tablespace_map"), spcmap);
                }
            }
            Files.createFile(target.resolve("standby.signal"));
            // In the copy's own configuration file: a value with spaces cannot go on the server's command line.
            String conninfo = "host=127.0.0.1 port=" + primary.port() + " user=" + LocalPostgres.SUPERUSER
                    + " dbname=postgres application_name=" + slot;
            Files.writeString(target.resolve("postgresql.auto.conf"), "primary_conninfo = '" + conninfo + "'\n"
                    + "primary_slot_name = '" + slot + "'\n", StandardOpenOption.APPEND);
        } catch (SQLException e) {
            throw new IllegalStateException("base backup of PostgreSQL '" + primary.name() + "' for standby '" + name + "': "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("copying PostgreSQL '" + primary.name() + "' into " + target, e);
        }
        log.info("base backup of PostgreSQL '{}' taken into {} in {} ms", primary.name(), target, (System.nanoTime() - t0) / 1_000_000);
        return standby.dataDirectory(target).keepData(true).setting("hot_standby", "on").start();
    }

    /** Copies a running server's data directory: files that vanish while it is read are skipped, as in any base backup. */
    private static void copy(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path rel = from.relativize(dir);
                Files.createDirectories(to.resolve(rel.toString()));
                if (rel.getNameCount() == 1 && EMPTIED_DIRECTORIES.contains(rel.toString())) {
                    if (rel.toString().equals("pg_wal")) {
                        Files.createDirectories(to.resolve("pg_wal").resolve("archive_status"));
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path rel = from.relativize(file);
                if (rel.getNameCount() == 1 && SKIPPED_FILES.contains(rel.toString())) {
                    return FileVisitResult.CONTINUE;
                }
                try {
                    Files.copy(file, to.resolve(rel.toString()), StandardCopyOption.REPLACE_EXISTING);
                } catch (NoSuchFileException gone) {
                    // removed while the backup ran (a temporary file): replay of the WAL needs it not
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }
}
