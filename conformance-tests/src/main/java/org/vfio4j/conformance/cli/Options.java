package org.vfio4j.conformance.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The options of one command, parsed the same way for every command: {@code --name value} or
 * {@code --name=value} for valued options, {@code --name} for flags, {@code -h}/{@code --help}
 * anywhere. Every mistake is a {@link UsageException} whose message names the option and what it
 * accepts; the caller prints it and exits with status 2.
 */
final class Options {

    /** A mistake on the command line: the message is one sentence for the user, never a stack trace. */
    static final class UsageException extends Exception {
        private final String hint;

        UsageException(String message) {
            this(message, null);
        }

        /** A mistake whose best hint is {@code hint} (a command line) rather than the command's --help. */
        UsageException(String message, String hint) {
            super(message, null, false, false);
            this.hint = hint;
        }

        /** The command line to try instead of the command's --help, if the mistake has a better one. */
        java.util.Optional<String> hint() {
            return java.util.Optional.ofNullable(hint);
        }
    }

    private final Map<String, String> values = new LinkedHashMap<>();
    private final boolean help;

    private Options(boolean help) {
        this.help = help;
    }

    /**
     * Parses {@code args} against the accepted {@code flags} (no value) and {@code valued} options
     * (one value each; the map gives what each accepts, for the message when the value is missing). Help wins over every other mistake, so {@code --help} always answers.
     */
    static Options parse(List<String> args, List<String> flags, Map<String, String> valued) throws UsageException {
        if (args.contains("-h") || args.contains("--help")) {
            return new Options(true);
        }
        Options o = new Options(false);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("-") || a.equals("-")) {
                throw new UsageException("unexpected argument '" + a + "'" + accepted(flags, valued));
            }
            int eq = a.indexOf('=');
            String name = eq < 0 ? a : a.substring(0, eq);
            String value;
            if (flags.contains(name)) {
                if (eq >= 0) {
                    throw new UsageException(name + " takes no value (given '" + a.substring(eq + 1) + "')");
                }
                value = "";
            } else if (valued.containsKey(name)) {
                if (eq >= 0) {
                    value = a.substring(eq + 1);
                } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                    value = args.get(++i);
                } else {
                    throw new UsageException(name + " needs a value: " + valued.get(name));
                }
            } else {
                throw new UsageException("unknown option '" + name + "'" + accepted(flags, valued));
            }
            if (o.values.putIfAbsent(name, value) != null) {
                throw new UsageException(name + " is given more than once");
            }
        }
        return o;
    }

    private static String accepted(List<String> flags, Map<String, String> valued) {
        List<String> all = new ArrayList<>(valued.keySet());
        all.addAll(flags);
        return all.isEmpty() ? "; this command takes no options" : "; the options are " + String.join(", ", all);
    }

    /** Whether -h or --help was given. */
    boolean help() {
        return help;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** Rejects each of {@code names} that was given although {@code condition} does not hold. */
    void onlyWith(boolean condition, String what, String... names) throws UsageException {
        for (String n : names) {
            if (!condition && has(n)) {
                throw new UsageException(n + " only makes sense with " + what);
            }
        }
    }

    /** Rejects {@code a} and {@code b} given together, with the reason. */
    void notTogether(String a, String b, String why) throws UsageException {
        if (has(a) && has(b)) {
            throw new UsageException(a + " and " + b + " cannot be used together: " + why);
        }
    }

    /** Requires every one of {@code names} when {@code condition} holds. */
    void required(boolean condition, String what, String... names) throws UsageException {
        for (String n : names) {
            if (condition && !has(n)) {
                throw new UsageException(what + " needs " + String.join(" and ", names) + " (" + n + " is missing)");
            }
        }
    }

    /** The value of {@code name}, which must be one of {@code allowed}; {@code dflt} when absent. */
    String choice(String name, String dflt, String... allowed) throws UsageException {
        String v = values.getOrDefault(name, dflt);
        if (!List.of(allowed).contains(v)) {
            throw new UsageException(name + " takes " + or(allowed) + ", not '" + v + "'");
        }
        return v;
    }

    /** The value of {@code name} as a whole number in {@code [min, max]}; {@code dflt} when absent. */
    int integer(String name, int dflt, int min, int max) throws UsageException {
        if (!has(name)) {
            return dflt;
        }
        String v = values.get(name);
        // digits only: no sign, no spaces, no hex; too many digits is simply out of range
        long n = v.matches("[0-9]{1,18}") ? Long.parseLong(v) : -1;
        if (n < min || n > max) {
            throw new UsageException(name + " takes a whole number from " + min + " to " + max + ", not '" + v + "'");
        }
        return (int) n;
    }

    /** The value of {@code name}, which must satisfy {@code valid} (described by {@code expected}). */
    String text(String name, Predicate<String> valid, String expected) throws UsageException {
        String v = values.get(name);
        if (v != null && !valid.test(v)) {
            throw new UsageException(name + " takes " + expected + ", not '" + v + "'");
        }
        return v;
    }

    private static String or(String... allowed) {
        if (allowed.length == 1) {
            return "only " + allowed[0];
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < allowed.length; i++) {
            sb.append(i == 0 ? "" : i == allowed.length - 1 ? " or " : ", ").append(allowed[i]);
        }
        return sb.toString();
    }
}
