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
 * reply touches them) and answers from a script: {@link #reply} may write into the argument, return
 * a result, or throw the {@link VfioException} a kernel would. {@code userAddress} is the segment's
 * address; any other call is UnsupportedOperationException, so a method that makes one fails its test.
 */
final class RecordingSeam {

    /** One ioctl: {@code sent} for a pointer argument, {@code value} for a by-value one (the other null). */
    record Call(long request, byte[] sent, Long value) {}

    /** The kernel's side of one ioctl. */
    @FunctionalInterface
    interface Reply {
        int answer(long request, MemorySegment arg, long value) throws VfioException;
    }

    final List<Call> calls = new ArrayList<>();
    Reply reply = (request, arg, value) -> 0;

    final VfioKernel kernel = (VfioKernel) Proxy.newProxyInstance(VfioKernel.class.getClassLoader(), new Class<?>[] {VfioKernel.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "name" -> "recording";
                case "userAddress" -> ((MemorySegment) args[0]).address();
                case "ioctl" -> {
                    long request = (long) args[1];
                    if (args[2] instanceof MemorySegment arg) {
                        calls.add(new Call(request, arg.toArray(ValueLayout.JAVA_BYTE), null));
                        yield reply.answer(request, arg, 0);
                    }
                    calls.add(new Call(request, null, (Long) args[2]));
                    yield reply.answer(request, null, (long) args[2]);
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });

    /** A container on this seam, fd 3. */
    VfioContainer container() {
        return new VfioContainer(kernel, new Fd(kernel, 3, "/dev/vfio/vfio", n -> 0));
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
