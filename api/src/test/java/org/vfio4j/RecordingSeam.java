package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;

/**
 * A seam that records every ioctl (the request and the exact bytes or value sent, copied before the
 * reply touches them, and the argument as the reply left it) and answers from a script: {@link
 * #reply} may write into the argument, return a result, or throw the {@link VfioException} a kernel
 * would; {@link #lie} answers call after call from forged replies. {@code userAddress} is the
 * segment's address, {@code adopt} makes a handle with the number given, {@code mmap} is recorded
 * and answers an empty segment, {@code munmap} does nothing; any other call is
 * UnsupportedOperationException, so a method that makes one fails its test.
 */
final class RecordingSeam {

    /** One ioctl: {@code sent} for a pointer argument, {@code value} for a by-value one (the other null). */
    record Call(long request, byte[] sent, Long value) {}

    /** The kernel's side of one ioctl. */
    @FunctionalInterface
    interface Reply {
        int answer(long request, MemorySegment arg, long value) throws VfioException;
    }

    /** One forged answer: {@code bytes} written over the start of the argument (as many as fit), then the result or the errno. */
    record Forged(byte[] bytes, int result, Errno errno) {
        static Forged bytes(byte[] bytes) {
            return new Forged(bytes, 0, null);
        }

        static Forged result(int result) {
            return new Forged(new byte[0], result, null);
        }

        Forged failing(Errno errno) {
            return new Forged(bytes, result, errno);
        }
    }

    final List<Call> calls = new ArrayList<>();
    /** Each mmap asked for: {offset, length}. */
    final List<long[]> mmaps = new ArrayList<>();
    /** For each call, the argument's bytes after the reply (null for a by-value argument). */
    final List<byte[]> replied = new ArrayList<>();
    Reply reply = (request, arg, value) -> 0;

    /** Answers the n-th ioctl from now with the n-th forged reply; a call past the last fails the test. */
    RecordingSeam lie(List<Forged> answers) {
        int before = calls.size();
        reply = (request, arg, value) -> {
            int n = calls.size() - 1 - before;
            if (n >= answers.size()) {
                throw new AssertionError("ioctl " + (n + 1) + " made, but only " + answers.size() + " replies were forged");
            }
            Forged f = answers.get(n);
            if (arg != null) {
                MemorySegment.copy(MemorySegment.ofArray(f.bytes()), 0, arg, 0, Math.min(f.bytes().length, arg.byteSize()));
            }
            if (f.errno() != null) {
                throw refusal(f.errno());
            }
            return f.result();
        };
        return this;
    }

    /** {@link #lie(List)} with the replies in order. */
    RecordingSeam lie(Forged... answers) {
        return lie(List.of(answers));
    }

    /** What pread and pwrite return; null: every byte asked for. */
    Long transferCount;
    /** What poll returns. */
    short[] pollAnswer = new short[1];

    final VfioKernel kernel = (VfioKernel) Proxy.newProxyInstance(VfioKernel.class.getClassLoader(), new Class<?>[] {VfioKernel.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "name" -> "recording";
                case "userAddress" -> ((MemorySegment) args[0]).address();
                case "adopt" -> new Fd((VfioKernel) proxy, (int) args[0], (String) args[1], n -> 0);
                case "munmap" -> null;
                case "pread", "pwrite" -> transferCount != null ? transferCount : ((MemorySegment) args[1]).byteSize();
                case "poll" -> pollAnswer;
                case "mmap" -> {
                    mmaps.add(new long[] {(long) args[1], (long) args[2]});
                    yield MemorySegment.ofArray(new byte[0]);
                }
                case "ioctl" -> {
                    long request = (long) args[1];
                    if (args[2] instanceof MemorySegment arg) {
                        calls.add(new Call(request, arg.toArray(ValueLayout.JAVA_BYTE), null));
                        try {
                            yield reply.answer(request, arg, 0);
                        } finally {
                            replied.add(arg.toArray(ValueLayout.JAVA_BYTE));
                        }
                    }
                    calls.add(new Call(request, null, (Long) args[2]));
                    replied.add(null);
                    yield reply.answer(request, null, (long) args[2]);
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });

    /** A container on this seam, fd 3. */
    VfioContainer container() {
        return new VfioContainer(kernel, new Fd(kernel, 3, "/dev/vfio/vfio", n -> 0));
    }

    /** A group on this seam, fd 4. */
    VfioGroup group() {
        return new VfioGroup(kernel, 7, new Fd(kernel, 4, "/dev/vfio/7", n -> 0));
    }

    /** A device on this seam, fd 5, named 0000:01:00.0. */
    VfioDevice device() {
        return new VfioDevice(kernel, "0000:01:00.0", new Fd(kernel, 5, "device 0000:01:00.0", n -> 0));
    }

    /** The only call made; fails when there was not exactly one. */
    Call onlyCall() {
        if (calls.size() != 1) {
            throw new AssertionError("expected exactly one ioctl, saw " + calls.size());
        }
        return calls.get(0);
    }

    /** A native-endian byte image of a struct (as the kernel reads it), field by field at C offsets. */
    static final class Bytes {
        private final MemorySegment s;

        private Bytes(int size) {
            s = MemorySegment.ofArray(new byte[size]);
        }

        static Bytes of(int size) {
            return new Bytes(size);
        }

        Bytes u32(long offset, int value) {
            s.set(ValueLayout.JAVA_INT_UNALIGNED, offset, value);
            return this;
        }

        Bytes u64(long offset, long value) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, value);
            return this;
        }

        byte[] array() {
            return s.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** A kernel's refusal: what a backend throws for {@code errno}. */
    static VfioException refusal(Errno errno) {
        return new VfioException(errno, "ioctl", "container fd 3", "scripted");
    }
}
