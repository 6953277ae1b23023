package org.vfio4j.kernel.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * How the kernel backend calls libc: downcall handles that capture {@code errno} in a per-thread
 * segment ({@code Linker.Option.captureCallState}), and that per-thread state. Shared by the VFIO
 * calls ({@code org.vfio4j.kernel.Libc}) and the vfio-user socket calls ({@code
 * org.vfio4j.kernel.user.SocketLibc}); this package is not exported, so raw libc stays inside the
 * module.
 */
public final class ErrnoCalls {
    private ErrnoCalls() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    /** The layout of the capture segment every handle of this class writes errno into. */
    public static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_VH = MethodHandles.insertCoordinates(
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno")), 1, 0L);
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    /**
     * A downcall handle for libc's {@code name} whose first argument is the capture segment that
     * receives errno; {@code extra} options follow the capture (e.g. {@code firstVariadicArg}).
     */
    public static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** The errno a call captured into {@code capture}. */
    public static int errno(MemorySegment capture) {
        return (int) ERRNO_VH.get(capture);
    }

    /**
     * Per-thread memory for one call at a time: the errno capture segment and a scratch buffer,
     * allocated once per thread so that no call allocates (an {@code Arena} per call costs about a
     * third more per ioctl). Each caller keeps its own per-thread instance.
     */
    public static final class CallState {
        /** Where the calls of this thread capture errno. */
        public final MemorySegment capture;
        /** Small native arguments of the calls of this thread. */
        public final MemorySegment scratch;

        /** State with {@code scratchBytes} of scratch, 8-byte aligned. */
        public CallState(int scratchBytes) {
            Arena arena = Arena.ofAuto();
            capture = arena.allocate(CAPTURE_LAYOUT);
            scratch = arena.allocate(scratchBytes, 8);
        }

        /** The errno the last failing call of this thread captured. */
        public int errno() {
            return ErrnoCalls.errno(capture);
        }
    }
}
