package org.vfio4j.conformance.lane;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import org.vfio4j.VfioException;

/**
 * What the probes print: one line per call with its result or errno and, optionally, the bytes
 * of its argument afterwards. Arguments are pre-filled with 0x5a so that bytes a kernel does not
 * write are visible.
 */
final class ProbeOutput implements AutoCloseable {
    final Arena arena = Arena.ofConfined();
    private final PrintStream out;

    ProbeOutput(PrintStream out) {
        this.out = out;
    }

    @FunctionalInterface
    interface Call {
        long run() throws VfioException;
    }

    /** {@code size} bytes of 0x5a with {@code argsz} in the first u32. */
    MemorySegment arg(int size, int argsz) {
        MemorySegment m = arena.allocate(size, 8);
        m.fill((byte) 0x5a);
        m.set(ValueLayout.JAVA_INT, 0, argsz);
        return m;
    }

    /** Prints {@code what = result} or {@code what -1 ERRNO}, then the first {@code bytes} of {@code shown}; returns the result (-1 on error). */
    long line(String what, Call call, MemorySegment shown, int bytes) {
        String result;
        long r = -1;
        try {
            r = call.run();
            result = "= " + r;
        } catch (VfioException e) {
            result = "-1 " + e.errno();
        }
        out.println(what + " " + result + (shown == null ? "" : " " + hex(shown, bytes)));
        return r;
    }

    void println(Object text) {
        out.println(text);
    }

    static String hex(MemorySegment m, int bytes) {
        return HexFormat.of().formatHex(m.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE));
    }

    @Override
    public void close() {
        arena.close();
    }
}
