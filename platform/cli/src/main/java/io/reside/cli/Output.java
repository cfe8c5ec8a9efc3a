package io.reside.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.github.freva.asciitable.AsciiTable;
import com.github.freva.asciitable.Column;
import com.github.freva.asciitable.HorizontalAlign;

/**
 * What a command prints on standard output: a table for people, or the same data as JSON or YAML for scripts (the
 * documents are records whose shapes docs/cli.md documents). Colour only on a terminal, never with
 * {@code NO_COLOR}.
 */
public final class Output {

    public enum Format {
        TABLE,
        JSON,
        YAML
    }

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT)
            .setSerializationInclusion(JsonInclude.Include.ALWAYS);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(
            YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Format format;
    private final PrintStream out;
    private final boolean colour;

    public Output(Format format, PrintStream out, boolean terminal) {
        this.format = format;
        this.out = out;
        this.colour = terminal && System.getenv("NO_COLOR") == null;
    }

    /** @throws CliException ({@link ExitCodes#USAGE}) for a format that is not table, json or yaml */
    public static Format parse(String value) {
        try {
            return Format.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "-o is table, json or yaml, not '" + value + "'");
        }
    }

    public Format format() {
        return format;
    }

    public boolean isTable() {
        return format == Format.TABLE;
    }

    /** Prints {@code document} as JSON or YAML; for a table, runs {@code table} instead. */
    public void print(Object document, Runnable table) {
        switch (format) {
            case TABLE -> table.run();
            case JSON -> out.println(write(JSON, document));
            case YAML -> out.print(write(YAML, document));
        }
        out.flush();
    }

    /** A line for people (table output only). */
    public void line(String text) {
        out.println(text);
    }

    /** A table without borders, headers in capitals, each row as many cells as headers. */
    public void table(List<String> headers, List<List<String>> rows) {
        // no column wraps (the library's default is 80): a row stays one line for grep and for people
        Column[] columns = headers.stream().map(h -> new Column().header(h.toUpperCase(Locale.ROOT)).headerAlign(
                HorizontalAlign.LEFT).dataAlign(HorizontalAlign.LEFT).maxWidth(500)).toArray(Column[]::new);
        Object[][] data = rows.stream().map(r -> r.stream().map(c -> c == null ? "-" : c).toArray()).toArray(
                Object[][]::new);
        out.println(AsciiTable.builder().border(AsciiTable.NO_BORDERS).data(columns, data).asString().lines().map(
                String::stripTrailing).map(l -> l.startsWith(" ") ? l.substring(1) : l).reduce(
                        (a, b) -> a + "\n"
                                + b)
                .orElse(""));
    }

    /** An image reference for people: a digest cut to its first 12 hex digits. */
    public static String image(String reference) {
        if (reference == null) {
            return null;
        }
        int at = reference.indexOf("@sha256:");
        return at < 0 || reference.length() <= at + 20 ? reference : reference.substring(0, at + 20);
    }

    /** {@code text} in green (on a terminal). */
    public String good(String text) {
        return colour ? "\u001b[32m" + text + "\u001b[0m" : text;
    }

    /** {@code text} in red (on a terminal). */
    public String bad(String text) {
        return colour ? "\u001b[31m" + text + "\u001b[0m" : text;
    }

    private static String write(ObjectMapper mapper, Object document) {
        try {
            return mapper.writeValueAsString(document);
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write the output: " + e.getMessage());
        }
    }
}
