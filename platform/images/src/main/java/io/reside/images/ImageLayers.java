package io.reside.images;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks image layers (tar, gzip-compressed or not) into a directory, as a container runtime would stack them, for
 * Alpha's local runtime. Entries that would land outside the directory (absolute or {@code ..} paths, links pointing
 * out) are refused: a layer is untrusted input.
 */
public final class ImageLayers {

    private ImageLayers() {
    }

    /**
     * Unpacks one layer into {@code root} (later layers overwrite earlier ones; OCI whiteouts remove files).
     *
     * @throws IOException when the layer cannot be read or an entry would escape {@code root}
     */
    public static void unpack(Path layer, Path root) throws IOException {
        Path base = root.toAbsolutePath().normalize();
        Files.createDirectories(base);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(layer));
                InputStream in = gzipped(raw) ? new GZIPInputStream(raw, 64 * 1024) : raw;
                TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null;) {
                Path target = inside(base, e.getName());
                String name = target.getFileName() == null ? "" : target.getFileName().toString();
                if (name.startsWith(".wh.")) { // an OCI whiteout: the file it names is deleted
                    Path gone = target.resolveSibling(name.substring(4));
                    deleteRecursively(gone);
                    continue;
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isSymbolicLink()) {
                    inside(base, target.getParent().resolve(e.getLinkName()).toString().substring(1)); // must stay in
                    Files.deleteIfExists(target);
                    Files.createDirectories(target.getParent());
                    Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                } else if (e.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                    if ((e.getMode() & 0100) != 0) {
                        Set<PosixFilePermission> p = EnumSet.copyOf(Files.getPosixFilePermissions(target));
                        p.add(PosixFilePermission.OWNER_EXECUTE);
                        Files.setPosixFilePermissions(target, p);
                    }
                }
                // hard links, devices and fifos: not part of an application image
            }
        }
    }

    private static Path inside(Path base, String entry) throws IOException {
        Path p = base.resolve(entry.startsWith("/") ? entry.substring(1) : entry).normalize();
        if (!p.startsWith(base)) {
            throw new IOException("layer entry '" + entry + "' points outside the image");
        }
        return p;
    }

    private static boolean gzipped(InputStream in) throws IOException {
        in.mark(2);
        int a = in.read();
        int b = in.read();
        in.reset();
        return a == 0x1f && b == 0x8b;
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var children = Files.list(p)) {
                for (Path c : children.toList()) {
                    deleteRecursively(c);
                }
            }
        }
        Files.delete(p);
    }
}
