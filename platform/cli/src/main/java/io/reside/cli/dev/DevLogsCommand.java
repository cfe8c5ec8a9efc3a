package io.reside.cli.dev;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code reside dev logs <replica>}: the log of a replica's newest version (Alpha's local runtime writes
 * {@code logs/<name>-<version>.log}), or Alpha's own. Works whether or not the cluster runs.
 */
@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        description = "A replica's log (its newest version), or "
                + "alpha's.")
public class DevLogsCommand implements Callable<Integer> {

    @ParentCommand
    DevCommand dev;

    @Parameters(paramLabel = "<replica>", description = "A replica's name (alpha, user-manager, telegram, ...).")
    String replica;

    @Option(names = { "-n", "--lines" }, defaultValue = "100", description = "How many of the last lines (0: all).")
    int lines;

    @Option(names = { "-f", "--follow" }, description = "Keep printing what is written (until Ctrl-C).")
    boolean follow;

    @Override
    public Integer call() throws IOException, InterruptedException {
        DevDir dir = dev.dir();
        Path log = replica.equals("alpha") ? dir.alphaLog()
                : newest(dir, replica).orElseThrow(
                        () -> new CliException(ExitCodes.NOT_FOUND, "no log of a replica named '" + replica + "' in "
                                + dir.logs()
                                + (Files.isDirectory(dir.logs()) ? " (there are: " + names(dir) + ")" : "")));
        if (!Files.exists(log)) {
            throw new CliException(ExitCodes.NOT_FOUND, "no log " + log + ": has this dev cluster started?");
        }
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        all.subList(lines <= 0 ? 0 : Math.max(0, all.size() - lines), all.size()).forEach(System.out::println);
        System.out.flush();
        if (follow) {
            try (RandomAccessFile in = new RandomAccessFile(log.toFile(), "r")) {
                long pos = Files.size(log);
                while (true) {
                    long size = in.length();
                    if (size > pos) {
                        in.seek(pos);
                        byte[] b = new byte[(int) Math.min(size - pos, 1 << 20)];
                        in.readFully(b);
                        pos += b.length;
                        System.out.write(b, 0, b.length);
                        System.out.flush();
                    } else {
                        Thread.sleep(200);
                    }
                }
            }
        }
        return ExitCodes.OK;
    }

    private static final Pattern LOG = Pattern.compile("(.+)-(\\d+)\\.log");

    static Optional<Path> newest(DevDir dir, String name) throws IOException {
        if (!Files.isDirectory(dir.logs())) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir.logs())) {
            return files.filter(p -> {
                Matcher m = LOG.matcher(p.getFileName().toString());
                return m.matches() && m.group(1).equals(name);
            }).max(Comparator.comparingInt(DevLogsCommand::version));
        }
    }

    private static int version(Path p) {
        Matcher m = LOG.matcher(p.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(2)) : -1;
    }

    private static String names(DevDir dir) {
        try (Stream<Path> files = Files.list(dir.logs())) {
            return String.join(", ", files.map(p -> LOG.matcher(p.getFileName().toString())).filter(Matcher::matches)
                    .map(m -> m.group(1)).distinct().sorted().toList());
        } catch (IOException e) {
            return "?";
        }
    }
}
