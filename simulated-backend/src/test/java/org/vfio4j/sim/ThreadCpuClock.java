package org.vfio4j.sim;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.LongSupplier;

/**
 * The current thread's CPU time in nanoseconds ({@code ThreadMXBean.getCurrentThreadCpuTime}),
 * reached reflectively because this module does not read {@code java.management}; wall-clock
 * {@code System.nanoTime} where the platform offers no thread CPU clock.
 */
final class ThreadCpuClock {
    private ThreadCpuClock() {}

    /** The clock, and whether it is a CPU clock. */
    record Clock(LongSupplier nanos, boolean cpu) {}

    static Clock get() {
        try {
            Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
            Class<?> beanType = Class.forName("java.lang.management.ThreadMXBean");
            Object bean = factory.getMethod("getThreadMXBean").invoke(null);
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            boolean supported = (boolean) lookup.findVirtual(beanType, "isCurrentThreadCpuTimeSupported", MethodType.methodType(boolean.class))
                    .invoke(bean);
            if (supported) {
                MethodHandle cpu = lookup.findVirtual(beanType, "getCurrentThreadCpuTime", MethodType.methodType(long.class)).bindTo(bean);
                return new Clock(() -> {
                    try {
                        return (long) cpu.invokeExact();
                    } catch (Throwable t) {
                        throw new IllegalStateException(t);
                    }
                }, true);
            }
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            // no java.management in this runtime: wall clock
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return new Clock(System::nanoTime, false);
    }
}
