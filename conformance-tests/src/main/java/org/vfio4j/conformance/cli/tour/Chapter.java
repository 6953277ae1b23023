package org.vfio4j.conformance.cli.tour;

import java.io.PrintStream;
import java.util.List;
import java.util.Optional;

/**
 * One chapter of {@code vfio4j tour}: a short, self-contained walk through one part of VFIO on its
 * own freshly booted simulated host, printed as numbered steps (the call, the system calls as the
 * kernel saw them, what the answer means, and mistakes made on purpose with their errno and rule).
 */
public sealed interface Chapter permits BasicsChapter, DevicesChapter, ConfigChapter, InterruptsChapter, DmaChapter,
        FaultsChapter, PowerChapter {

    /**
     * The name a learner types: {@code vfio4j tour <name>}.
     *
     * @return a lower-case word
     */
    String name();

    /**
     * What the chapter shows, in one line for {@code vfio4j tour --list}.
     *
     * @return one line of at most about 80 characters
     */
    String summary();

    /**
     * Boots the chapter's host and walks through it.
     *
     * @param out where the chapter is printed
     * @throws Exception if a step fails that should not (a bug of the simulator or of the chapter)
     */
    void run(PrintStream out) throws Exception;

    /**
     * Every chapter, in the order a learner should read them; the first is what {@code vfio4j tour}
     * runs without a chapter.
     *
     * @return the chapters
     */
    static List<Chapter> all() {
        return List.of(
                new BasicsChapter(),
                new DevicesChapter(),
                new ConfigChapter(),
                new InterruptsChapter(),
                new DmaChapter(),
                new FaultsChapter(),
                new PowerChapter()
        );
    }

    /**
     * The chapter called {@code name}.
     *
     * @param name what the learner typed
     * @return the chapter, or empty when there is none of that name
     */
    static Optional<Chapter> named(String name) {
        return all().stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
