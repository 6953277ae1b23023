package org.vfio4j.conformance.power;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a run of a probe script printed: the {@code @@#} header (the devices found and the kernel
 * release), one {@code @@} line per command, and whether the {@code @@# end} line came. Read from
 * the guest's serial output (other console lines are ignored) or produced by {@link
 * PowerScriptRunner}; {@link #text()} prints it back in the probe's format.
 *
 * @param devices      the {@code @@# device} lines, in order
 * @param kernel       the {@code @@# kernel} release, or empty when the line is missing
 * @param results      the {@code @@} lines, in order
 * @param ended        whether {@code @@# end} was printed (the probe reached the script's end)
 * @param probeSeconds the probe's own run time from its {@code spapr-probe: N commands in S s} line, if present
 */
public record Transcript(List<Device> devices, String kernel, List<Result> results, boolean ended, OptionalDouble probeSeconds) {

    /**
     * A device the probe found: {@code @@# device <name> <address> group <group>}.
     *
     * @param name    {@code edu} or {@code nvme}
     * @param address its PCI address, e.g. {@code 0001:01:00.0}
     * @param group   its IOMMU group as the {@code iommu_group} link names it (normally a number)
     */
    public record Device(String name, String address, String group) {
        /** {@return the header line} */
        public String line() {
            return "@@# device " + name + " " + address + " group " + group;
        }

        /** {@return the group number, if the group is a number} */
        public Optional<Integer> groupNumber() {
            return group.matches("[0-9]{1,9}") ? Optional.of(Integer.parseInt(group)) : Optional.empty();
        }
    }

    /**
     * One command's output line: {@code @@ <line> <command> = <outcome>}.
     *
     * @param line    the script line number
     * @param command the command's tokens joined by one space
     * @param outcome the result and, for struct calls and reads, a space and the bytes in hex
     */
    public record Result(int line, String command, String outcome) {
        /** {@return the output line exactly as the probe prints it} */
        public String text() {
            return "@@ " + line + " " + command + " = " + outcome;
        }

        /** {@return the result alone: {@code ok}, a number, {@code -ERRNO} or {@code bad-command}} */
        public String result() {
            int space = outcome.indexOf(' ');
            return space < 0 ? outcome : outcome.substring(0, space);
        }
    }

    /** Keeps unmodifiable copies. */
    public Transcript {
        devices = List.copyOf(devices);
        results = List.copyOf(results);
    }

    private static final Pattern RESULT = Pattern.compile("@@ ([0-9]{1,9}) (.*) = ([^ =]+(?: [^ =]+)?)");
    private static final Pattern DEVICE = Pattern.compile("@@# device ([^ ]+) ([^ ]+) group ([^ ]+)");
    private static final Pattern PROBE_TIME = Pattern.compile("spapr-probe: [0-9]+ commands in ([0-9.]+) s");

    /**
     * Reads a transcript out of console output: lines starting with {@code @@} (after carriage
     * returns and leading blanks are dropped) are the probe's; every other line is ignored.
     *
     * @param text the console output or a saved transcript
     * @return what the probe printed
     */
    public static Transcript parse(String text) {
        List<Device> devices = new ArrayList<>();
        List<Result> results = new ArrayList<>();
        String kernel = "";
        boolean ended = false;
        OptionalDouble seconds = OptionalDouble.empty();
        for (String raw : text.split("\n")) {
            String line = raw.replace("\r", "").strip();
            Matcher m;
            if ((m = PROBE_TIME.matcher(line)).find()) {
                seconds = OptionalDouble.of(Double.parseDouble(m.group(1)));
            } else if (!line.startsWith("@@")) {
                continue;
            } else if ((m = RESULT.matcher(line)).matches()) {
                results.add(new Result(Integer.parseInt(m.group(1)), m.group(2), m.group(3)));
            } else if ((m = DEVICE.matcher(line)).matches()) {
                devices.add(new Device(m.group(1), m.group(2), m.group(3)));
            } else if (line.startsWith("@@# kernel ")) {
                kernel = line.substring("@@# kernel ".length());
            } else if (line.equals("@@# end")) {
                ended = true;
            }
        }
        return new Transcript(devices, kernel, results, ended, seconds);
    }

    /** {@return the device the probe found under {@code name}, if it found one} */
    public Optional<Device> device(String name) {
        return devices.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /** {@return the result line of script line {@code line}, if the transcript has one} */
    public Optional<Result> resultOf(int line) {
        return results.stream().filter(r -> r.line() == line).findFirst();
    }

    /** {@return the transcript in the probe's format: header, one line per command, and {@code @@# end} if it ended} */
    public String text() {
        StringBuilder sb = new StringBuilder();
        devices.forEach(d -> sb.append(d.line()).append('\n'));
        sb.append("@@# kernel ").append(kernel).append('\n');
        results.forEach(r -> sb.append(r.text()).append('\n'));
        if (ended) {
            sb.append("@@# end\n");
        }
        return sb.toString();
    }
}
