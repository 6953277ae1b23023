package org.vfio4j.conformance.power;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.vfio4j.conformance.power.ScriptCommand.*;

/**
 * A POWER lane probe script, parsed the way the C probe {@code spapr-probe} reads it: one command
 * per line, blank lines and lines whose first non-blank character is {@code #} skipped, tokens
 * separated by blanks, everything from a token {@code =>} on an expectation. A line that does not
 * parse is kept as a {@link BadCommand}, so that its output line ({@code bad-command}) is still
 * there: runners never stop early. The format is specified in docs/power-lane.md ("The probe script").
 *
 * @param lines the command lines, in order
 */
public record PowerScript(List<Line> lines) {

    /**
     * One command line.
     *
     * @param number      the 1-based line number in the script text
     * @param echo        the command's tokens joined by one space (without the expectation), as output lines show them
     * @param command     what it does
     * @param expectation the text after {@code =>}, tokens joined by one space, if the line has one
     */
    public record Line(int number, String echo, ScriptCommand command, Optional<String> expectation) {}

    /** Keeps an unmodifiable copy. */
    public PowerScript {
        lines = List.copyOf(lines);
    }

    /** Blanks as C's isspace() knows them: the C probe splits on these. */
    private static final String BLANKS = "[ \\t\\r\\n\\u000b\\f]+";

    /**
     * Parses a script. Never fails: malformed lines become {@link BadCommand}s.
     *
     * @param text the script, lines separated by {@code \n}
     * @return its command lines
     */
    public static PowerScript parse(String text) {
        List<Line> lines = new ArrayList<>();
        String[] raw = text.split("\n", -1);
        for (int i = 0; i < raw.length; i++) {
            String stripped = raw[i].replaceFirst("^" + BLANKS, "");
            if (stripped.isEmpty() || stripped.startsWith("#")) {
                continue;
            }
            List<String> tokens = new ArrayList<>();
            Optional<String> expectation = Optional.empty();
            String[] all = stripped.split(BLANKS);
            for (int t = 0; t < all.length; t++) {
                if (all[t].equals("=>")) {
                    expectation = Optional.of(String.join(" ", List.of(all).subList(t + 1, all.length)));
                    break;
                }
                tokens.add(all[t]);
            }
            lines.add(new Line(i + 1, String.join(" ", tokens), command(tokens), expectation));
        }
        return new PowerScript(lines);
    }

    /** {@return how many command lines the script has (each prints one output line)} */
    public int size() {
        return lines.size();
    }

    /** The command of a line's tokens (the expectation already removed). */
    static ScriptCommand command(List<String> t) {
        if (t.isEmpty()) {
            return new BadCommand("no command before =>");
        }
        try {
            return parsed(new Tokens(t));
        } catch (Malformed e) {
            return new BadCommand(e.getMessage());
        }
    }

    private static ScriptCommand parsed(Tokens t) throws Malformed {
        return switch (t.name()) {
            case "open" -> {
                t.count(2, 2);
                yield new Open(t.handle(1, Kind.CONTAINER));
            }
            case "group" -> {
                t.count(3, 3);
                yield new Group(t.handle(1, Kind.GROUP), t.device(2));
            }
            case "device" -> {
                t.count(4, 4);
                yield new Device(t.handle(1, Kind.DEVICE), t.handle(2, Kind.GROUP), t.device(3));
            }
            case "setcontainer" -> {
                t.count(3, 3);
                yield new SetContainer(t.handle(1, Kind.GROUP), t.handle(2, Kind.CONTAINER));
            }
            case "unsetcontainer" -> {
                t.count(2, 2);
                yield new UnsetContainer(t.handle(1, Kind.GROUP));
            }
            case "status" -> {
                t.count(2, 2);
                yield new Status(t.handle(1, Kind.GROUP));
            }
            case "checkext" -> {
                t.count(3, 3);
                yield new CheckExtension(t.handle(1, Kind.CONTAINER), t.number(2));
            }
            case "setiommu" -> {
                t.count(3, 3);
                yield new SetIommu(t.handle(1, Kind.CONTAINER), t.number(2));
            }
            case "info" -> {
                t.count(3, 3);
                yield new Info(t.handle(1, Kind.CONTAINER), t.number(2));
            }
            case "enable" -> {
                t.count(2, 2);
                yield new Enable(t.handle(1, Kind.CONTAINER));
            }
            case "disable" -> {
                t.count(2, 2);
                yield new Disable(t.handle(1, Kind.CONTAINER));
            }
            case "register", "unregister" -> {
                t.count(4, 6);
                Handle c = t.handle(1, Kind.CONTAINER);
                long off = t.number(2);
                long size = t.number(3);
                long flags = t.optional(4, 0);
                long argsz = t.optional(5, ScriptCommand.REGISTER_ARGSZ);
                yield t.name().equals("register") ? new Register(c, off, size, flags, argsz) : new Unregister(c, off, size, flags, argsz);
            }
            case "create" -> {
                t.count(5, 7);
                yield new Create(t.handle(1, Kind.CONTAINER), t.number(2), t.number(3), t.number(4), t.optional(5, 0),
                        t.optional(6, ScriptCommand.CREATE_ARGSZ));
            }
            case "remove" -> {
                t.count(3, 5);
                yield new Remove(t.handle(1, Kind.CONTAINER), t.number(2), t.optional(3, 0), t.optional(4, ScriptCommand.REMOVE_ARGSZ));
            }
            case "map" -> {
                t.count(6, 7);
                yield new MapDma(t.handle(1, Kind.CONTAINER), t.number(2), t.number(3), t.number(4), t.number(5),
                        t.optional(6, ScriptCommand.MAP_ARGSZ));
            }
            case "unmap" -> {
                t.count(5, 6);
                yield new UnmapDma(t.handle(1, Kind.CONTAINER), t.number(2), t.number(3), t.number(4), t.optional(5, ScriptCommand.UNMAP_ARGSZ));
            }
            case "eeh" -> {
                t.count(3, 5);
                yield new Eeh(t.handle(1, Kind.CONTAINER), t.number(2), t.optional(3, 0), t.optional(4, ScriptCommand.EEH_ARGSZ));
            }
            case "inject" -> {
                t.count(6, 7);
                yield new Inject(t.handle(1, Kind.CONTAINER), t.number(2), t.number(3), t.number(4), t.number(5),
                        t.optional(6, ScriptCommand.INJECT_ARGSZ));
            }
            case "read" -> {
                t.count(5, 5);
                Handle d = t.handle(1, Kind.DEVICE);
                long region = t.number(2);
                long off = t.number(3);
                long length = t.number(4);
                if (length < 1 || length > 64) {
                    throw new Malformed("read takes 1 to 64 bytes, not " + Long.toUnsignedString(length));
                }
                yield new Read(d, region, off, (int) length);
            }
            case "write" -> {
                t.count(5, 5);
                yield new Write(t.handle(1, Kind.DEVICE), t.number(2), t.number(3), t.bytes(4));
            }
            case "close" -> {
                t.count(2, 2);
                yield new Close(t.anyHandle(1));
            }
            case "closeall" -> {
                t.count(1, 1);
                yield new CloseAll();
            }
            default -> throw new Malformed("unknown command '" + t.name() + "'");
        };
    }

    /**
     * A number as the C probe reads it: {@code 0x} and 1 to 16 hex digits, or 1 to 20 decimal
     * digits not above 2^64-1 (a leading 0 is still decimal; no sign).
     *
     * @param token the token
     * @return its value as an unsigned 64-bit number, if it is one
     */
    public static Optional<Long> number(String token) {
        if (token.startsWith("0x")) {
            String digits = token.substring(2);
            return digits.matches("[0-9a-fA-F]{1,16}") ? Optional.of(Long.parseUnsignedLong(digits, 16)) : Optional.empty();
        }
        if (!token.matches("[0-9]{1,20}")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseUnsignedLong(token));
        } catch (NumberFormatException tooLarge) {
            return Optional.empty();
        }
    }

    /** Why a line is not a command. */
    private static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** A line's tokens with typed accessors that throw {@link Malformed}. */
    private record Tokens(List<String> all) {
        String name() {
            return all.get(0);
        }

        void count(int min, int max) throws Malformed {
            int operands = all.size() - 1;
            if (operands < min - 1 || operands > max - 1) {
                throw new Malformed(name() + " takes " + (min == max ? min - 1 : (min - 1) + " to " + (max - 1)) + " operands, not " + operands);
            }
        }

        long number(int i) throws Malformed {
            return parse(i, PowerScript::number, "a number (decimal or 0x hex, at most 2^64-1)");
        }

        long optional(int i, long absent) throws Malformed {
            return i < all.size() ? number(i) : absent;
        }

        Handle handle(int i, Kind kind) throws Malformed {
            String s = all.get(i);
            if (s.length() != 2 || s.charAt(0) != kind.letter() || s.charAt(1) < '0' || s.charAt(1) > '9') {
                throw new Malformed("operand " + i + " of " + name() + " must be a handle " + kind.letter() + "0.." + kind.letter() + "9, not '" + s + "'");
            }
            return new Handle(kind, s.charAt(1) - '0');
        }

        Handle anyHandle(int i) throws Malformed {
            for (Kind k : Kind.values()) {
                if (all.get(i).length() == 2 && all.get(i).charAt(0) == k.letter()) {
                    return handle(i, k);
                }
            }
            throw new Malformed("operand " + i + " of " + name() + " must be a handle (cN, gN or dN), not '" + all.get(i) + "'");
        }

        ProbeDevice device(int i) throws Malformed {
            return parse(i, s -> Optional.ofNullable(ProbeDevice.named(s)), "edu or nvme");
        }

        byte[] bytes(int i) throws Malformed {
            String s = all.get(i);
            if (!s.matches("([0-9a-fA-F]{2}){1,64}")) {
                throw new Malformed("operand " + i + " of write must be 1 to 64 bytes in hex, not '" + s + "'");
            }
            return HexFormat.of().parseHex(s);
        }

        private <T> T parse(int i, Function<String, Optional<T>> parser, String expected) throws Malformed {
            Optional<T> v = parser.apply(all.get(i));
            if (v.isEmpty()) {
                throw new Malformed("operand " + i + " of " + name() + " must be " + expected + ", not '" + all.get(i) + "'");
            }
            return v.get();
        }
    }
}
