package org.vfio4j.conformance.cli.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The C baselines ({@code baselines.c}, beside this class), compiled with gcc into the report
 * folder and loaded into this JVM, so that each runs in the same process as the Java it is compared
 * with and can be interleaved with it round by round.
 */
final class NativeBaselines implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MethodHandle ioctlLoop;
    private final MethodHandle preadLoop;
    private final MethodHandle eventfdHandoff;
    private final MethodHandle open;
    private final MethodHandle close;

    private NativeBaselines(Path library) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lookup = SymbolLookup.libraryLookup(library, arena);
        ioctlLoop = linker.downcallHandle(lookup.find("bench_ioctl_loop").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        preadLoop = linker.downcallHandle(lookup.find("bench_pread_loop").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG));
        eventfdHandoff = linker.downcallHandle(lookup.find("bench_eventfd_handoff").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        open = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    /** A descriptor of {@code file} opened read-only with libc's open(2), for a C loop. */
    int openReadOnly(Path file) throws IOException {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = (int) open.invokeExact(a.allocateFrom(file.toString()), 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (fd < 0) {
            throw new IOException("open(2) failed on " + file);
        }
        return fd;
    }

    /** Closes a descriptor {@link #openReadOnly} gave. */
    void close(int fd) {
        try {
            int r = (int) close.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Compiles the baselines into {@code work} and loads them.
     *
     * @throws IOException saying why when there is no gcc or it fails; the caller reports the
     *                     baselines as not measured
     */
    static NativeBaselines load(Path work) throws IOException, InterruptedException {
        Path source = work.resolve("baselines.c");
        try (InputStream in = NativeBaselines.class.getResourceAsStream("baselines.c")) {
            if (in == null) {
                throw new IOException("baselines.c is missing from the class path");
            }
            Files.write(source, in.readAllBytes());
        }
        Path library = work.resolve("libvfio4j-baselines.so");
        List<String> command = List.of("gcc", "-O2", "-shared", "-fPIC", "-pthread", "-o", library.toString(), source.toString());
        Process gcc;
        try {
            gcc = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("no C compiler: gcc could not be started (" + e.getMessage()
                    + "); bash .ci/prerequisites installs it", e);
        }
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!gcc.waitFor(2, TimeUnit.MINUTES) || gcc.exitValue() != 0) {
            throw new IOException("gcc failed on the C baselines: " + output.strip());
        }
        return new NativeBaselines(library);
    }

    /** Nanoseconds that {@code calls} ioctls of {@code request} on descriptor {@code fd} took in C. */
    long ioctlLoop(int fd, long request, long calls) {
        try {
            return (long) ioctlLoop.invokeExact(fd, request, calls);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Nanoseconds that {@code calls} preads of {@code length} bytes at {@code offset} took in C. */
    long preadLoop(int fd, int length, long offset, long calls) {
        long r;
        try {
            r = (long) preadLoop.invokeExact(fd, length, offset, calls);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (r < 0) {
            throw new IllegalStateException("pread failed in the C baseline: errno " + -r);
        }
        return r;
    }

    /** One-way eventfd wake-up times in C, in nanoseconds, one per round. */
    long[] eventfdHandoff(int rounds) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment samples = a.allocate(ValueLayout.JAVA_LONG, rounds);
            int r = (int) eventfdHandoff.invokeExact(rounds, samples);
            if (r < 0) {
                throw new IllegalStateException("the C eventfd baseline failed: errno " + -r);
            }
            return samples.toArray(ValueLayout.JAVA_LONG);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
