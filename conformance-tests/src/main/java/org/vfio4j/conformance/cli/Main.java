package org.vfio4j.conformance.cli;

import java.io.PrintStream;
import java.util.List;
import org.vfio4j.conformance.cli.Options.UsageException;

/**
 * The {@code vfio4j} command line: {@code tour} walks VFIO on a simulated host; {@code conformance}
 * runs the contracts on the simulator, this machine's kernel, or the real-kernel lane. Exit status:
 * 0 done, 1 something failed (a contract, or kernel VFIO is not usable), 2 the command line is wrong.
 */
public final class Main {
    private Main() {}

    static final String HELP = """
            usage: vfio4j <command> [options]

              tour          VFIO on simulated hosts, explained call by call, in chapters ('tour --list')
              conformance   the conformance contracts: on the simulator (default), --backend kernel, or --lane qemu
              bench         every performance goal, measured beside its baseline in one run: one table
              serve         a simulated PCI function served over vfio-user, for QEMU's vfio-user-pci
              help          this text; 'vfio4j help <command>' or 'vfio4j <command> --help' describes a command

            Exit status: 0 done, 1 a failure (a contract failed, kernel VFIO is not usable), 2 a usage error.
            """;

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line and returns its exit status; usage errors are one line on {@code err}, status 2. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String command = args.length == 0 ? "help" : args[0];
        List<String> rest = List.of(args).subList(Math.min(1, args.length), args.length);
        try {
            return switch (command) {
                case "tour" -> tour(rest, out);
                case "conformance" -> Conformance.run(rest, out, err);
                case "bench" -> Benchmarks.run(rest, out, err);
                case "serve" -> Serve.run(rest, out, err);
                case "help", "-h", "--help" -> help(rest, out);
                default -> throw new UsageException(command.startsWith("-")
                        ? "unknown option '" + command + "' before the command; options follow it: vfio4j <command> [options]"
                        : "unknown command '" + command + "'; the commands are tour, conformance, bench, serve, help");
            };
        } catch (UsageException e) {
            boolean known = command.equals("tour") || command.equals("conformance") || command.equals("bench")
                    || command.equals("serve");
            err.println((known ? "vfio4j " + command : "vfio4j") + ": " + e.getMessage()
                    + " (try: " + e.hint().orElse("vfio4j " + (known ? command + " --help" : "help")) + ")");
            return 2;
        }
    }

    private static int tour(List<String> args, PrintStream out) throws Exception {
        return Tour.run(args, out);
    }

    private static int help(List<String> args, PrintStream out) throws UsageException {
        if (args.size() > 1) {
            throw new UsageException("help takes at most one command, e.g. vfio4j help conformance");
        }
        String about = args.isEmpty() ? "" : args.get(0);
        out.print(switch (about) {
            case "" -> HELP;
            case "tour" -> Tour.HELP;
            case "conformance" -> Conformance.HELP;
            case "bench" -> Benchmarks.HELP;
            case "serve" -> Serve.HELP;
            case "help" -> HELP;
            default -> throw new UsageException("unknown command '" + about + "'; the commands are tour, conformance, bench, serve, help");
        });
        return 0;
    }
}
