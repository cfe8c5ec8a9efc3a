package io.reside.cli.config;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.security.AccountKey;

/**
 * Where {@link CliConfig} lives and how it is kept: {@code $RESIDE_CONFIG}, else
 * {@code $XDG_CONFIG_HOME/reside/config.yaml}, else {@code ~/.config/reside/config.yaml}. The directory is made
 * 0700 and the file 0600; the keys of accounts created by {@code reside account create} go to {@code keys/} beside
 * it, 0600. A key file that others may read is refused, saying how to fix it.
 */
public final class ConfigFile {

    public static final String ENV = "RESIDE_CONFIG";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(
            YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path path;

    public ConfigFile(Path path) {
        this.path = path.toAbsolutePath().normalize();
    }

    /** The configuration file of this user, as the environment says. */
    public static ConfigFile ofUser() {
        String explicit = System.getenv(ENV);
        if (explicit != null && !explicit.isBlank()) {
            return new ConfigFile(Path.of(explicit));
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"),
                        ".config");
        return new ConfigFile(base.resolve("reside").resolve("config.yaml"));
    }

    public Path path() {
        return path;
    }

    /** Where {@code reside account create} keeps new keys. */
    public Path keysDir() {
        return path.resolveSibling("keys");
    }

    /** The configuration; {@link CliConfig#EMPTY} when the file does not exist yet. */
    public CliConfig load() {
        if (!Files.exists(path)) {
            return CliConfig.EMPTY;
        }
        try {
            CliConfig config = YAML.readValue(path.toFile(), CliConfig.class);
            return config == null ? CliConfig.EMPTY : config;
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, path + " does not parse (" + firstLine(e.getMessage())
                    + "): fix it, or move it away and start over");
        }
    }

    /** Writes the configuration (atomically; the directory 0700, the file 0600). */
    public void save(CliConfig config) {
        try {
            createPrivateDirectory(path.getParent());
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.writeString(tmp, YAML.writeValueAsString(config));
            try {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write " + path + ": " + e.getMessage());
        }
    }

    /** Creates a directory only its owner may enter (or makes an existing one so). */
    public static void createPrivateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /** Writes a new key file, 0600 from its creation; an existing file is never overwritten. */
    public static void writeKey(Path file, AccountKey key) {
        try {
            createPrivateDirectory(file.getParent());
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.writeString(file, key.toPem());
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new CliException(ExitCodes.FAILURE, file + " exists already: choose another name or --key-file");
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write the key " + file + ": " + e.getMessage());
        }
    }

    /**
     * Reads an account's private key.
     *
     * @throws CliException when the file is missing, readable by others (with the chmod that fixes it) or not a key
     */
    public static AccountKey readKey(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CliException(ExitCodes.NOT_FOUND, "the key file " + file + " does not exist");
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)
                    || perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(
                            PosixFilePermission.OTHERS_WRITE)) {
                throw new CliException(ExitCodes.FAILURE, "the key file " + file + " is open to others (mode "
                        + PosixFilePermissions.toString(perms) + "): a private key must be readable by you alone; "
                        + "run 'chmod 600 " + file + "' and check who could have read it");
            }
            return AccountKey.fromPem(Files.readString(file));
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot read the key file " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            // never the content: it may be a key after all
            throw new CliException(ExitCodes.FAILURE, "the key file " + file + " holds no Ed25519 private key in "
                    + "PEM form");
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
