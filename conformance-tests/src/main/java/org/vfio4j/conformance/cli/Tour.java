package org.vfio4j.conformance.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.vfio4j.conformance.cli.Options.UsageException;
import org.vfio4j.conformance.cli.tour.Chapter;

/**
 * {@code vfio4j tour}: VFIO explained on simulated hosts, in chapters a learner picks. Without a
 * chapter it runs the first one (the canonical sequence); {@code --list} names them, {@code all}
 * runs them in order. An unknown chapter is a usage error.
 */
final class Tour {
    static final String HELP = """
            usage: vfio4j tour [<chapter> | all | --list]

            Walks through VFIO on a simulated x86 host with Linux 6.1 rules (the power chapter: a POWER9
            host with Linux 6.12), in chapters. Each step shows the call, each system call as the kernel
            received it with its result, and what that means; mistakes are made on purpose to show how the
            kernel answers them (the errno and the rule it applies). It needs no hardware.

              (no chapter)  the first chapter, basics: groups, containers, the IOMMU, DMA, the argsz protocol
              <chapter>     one chapter; 'vfio4j tour --list' names them
              all           every chapter, in order
              --list        the chapters, one line each
              -h, --help    this text
            """;

    private static final String ALL = "all";

    private Tour() {}

    /** Runs {@code vfio4j tour} with {@code args} (what follows the command) and returns its exit status. */
    static int run(List<String> args, PrintStream out) throws Exception {
        List<String> chapters = new ArrayList<>();
        List<String> options = new ArrayList<>();
        for (String a : args) {
            (a.startsWith("-") && !a.equals("-") ? options : chapters).add(a);
        }
        Options o = Options.parse(options, List.of("--list"), Map.of());
        if (o.help()) {
            out.print(HELP);
            return 0;
        }
        if (o.has("--list")) {
            if (!chapters.isEmpty()) {
                throw new UsageException("--list takes no chapter (given '" + chapters.get(0) + "')");
            }
            list(out);
            return 0;
        }
        if (chapters.size() > 1) {
            throw new UsageException("the tour runs one chapter or all, not '" + String.join(" ", chapters) + "'",
                    "vfio4j tour --list");
        }
        List<Chapter> all = Chapter.all();
        if (chapters.isEmpty()) {
            all.get(0).run(out);
            next(out, all.get(0));
        } else if (chapters.get(0).equals(ALL)) {
            for (int i = 0; i < all.size(); i++) {
                if (i > 0) {
                    out.println();
                    out.println("=".repeat(100));
                    out.println();
                }
                all.get(i).run(out);
            }
        } else {
            String name = chapters.get(0);
            Chapter chapter = Chapter.named(name).orElseThrow(() -> new UsageException("unknown chapter '" + name
                    + "'; the chapters are " + all.stream().map(Chapter::name).collect(Collectors.joining(", ")) + " (or all)",
                    "vfio4j tour --list"));
            chapter.run(out);
            next(out, chapter);
        }
        return 0;
    }

    private static void list(PrintStream out) {
        out.println("The tour's chapters ('vfio4j tour <chapter>'; 'vfio4j tour all' runs them in order):");
        out.println();
        for (Chapter c : Chapter.all()) {
            out.printf("  %-11s %s%n", c.name(), c.summary());
        }
        out.println();
        out.println("'vfio4j tour' without a chapter runs " + Chapter.all().get(0).name() + ".");
    }

    /** Points a learner at the chapter after {@code chapter}. */
    private static void next(PrintStream out, Chapter chapter) {
        List<Chapter> all = Chapter.all();
        int i = all.stream().map(Chapter::name).toList().indexOf(chapter.name());
        out.println();
        if (i + 1 < all.size()) {
            out.println("Next: vfio4j tour " + all.get(i + 1).name() + "   (every chapter: vfio4j tour --list)");
        } else {
            out.println("That was the last chapter (every chapter: vfio4j tour --list).");
        }
    }
}
