package org.vfio4j.conformance.cli;

import java.io.PrintStream;

/**
 * The {@code vfio4j} command line: {@code tour} walks VFIO on a simulated host; {@code conformance}
 * runs the contracts on the simulator, this machine's kernel, or the real-kernel lane.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String command = args.length == 0 ? "help" : args[0];
        switch (command) {
            case "tour" -> {
                new Tour(out).run();
                return 0;
            }
            case "conformance" -> {
                return Conformance.run(java.util.List.of(args).subList(1, args.length), out, err);
            }
            case "help", "-h", "--help" -> {
                out.println("usage: vfio4j <command>");
                out.println("  tour          the canonical VFIO sequence on a simulated x86 host, explained call by call");
                out.println("  conformance   the conformance contracts: on the simulator (default), --backend kernel, or --lane qemu");
                out.print(Conformance.USAGE);
                return 0;
            }
            default -> {
                err.println("vfio4j: unknown command '" + command + "' (try: vfio4j help)");
                return 2;
            }
        }
    }
}
