package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.VfioException;
import org.vfio4j.uapi.VfioUapi;

/**
 * What a thread blocked on an eventfd sees when another thread closes something under it, case by
 * case (docs/safety.md, "Concurrency"). Linux keeps a file alive while a system call uses it and
 * while VFIO holds its eventfd context, so closing a device, group, container or the eventfd's own
 * descriptor never wakes the waiter: it goes on waiting, and a later signal still reaches it. Only
 * the simulated kernel's own close, which Linux has no counterpart for short of process exit, wakes
 * it, with EBADF and a sentence, so that no test thread waits forever on a kernel that is gone.
 */
class CloseWhileWaitingTest {
    private static final Duration STILL_WAITING = Duration.ofMillis(200);

    private SmallDevice.World w;
    private EventNotifier msi;

    @BeforeEach
    void boot() throws VfioException {
        w = SmallDevice.World.boot();
        msi = w.vfio().eventNotifier();
        w.device().enableIrq(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, List.of(msi));
    }

    @AfterEach
    void close() {
        w.vfio().close();
    }

    @Test
    void closingTheDevice_leavesTheWaiterWaiting_andTheUsersOwnSignalStillWakesIt() throws Exception {
        CompletableFuture<Object> waiter = blockedIn(msi);
        w.device().close(); // vfio_pci_core_disable drops the MSI trigger's eventfd context: nothing is signalled

        assertStillWaiting(waiter);
        w.model().context.signalMsi(0); // the device is closed: MSI is off, the message goes nowhere
        assertStillWaiting(waiter);
        msi.signal(3); // the eventfd is the process's own and still open
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo(3L);
    }

    @Test
    void closingTheGroupAndContainer_whileTheDeviceIsOpen_changesNothing_interruptsStillArrive() throws Exception {
        CompletableFuture<Object> waiter = blockedIn(msi);
        w.group().close(); // the open device holds the group file (vfio_group_fops_release runs only without devices)
        w.container().close(); // and the group holds the container

        assertStillWaiting(waiter);
        w.model().context.signalMsi(0);
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo(1L);
    }

    @Test
    void closingTheEventfdItself_leavesTheReaderWaiting_andTheDevicesInterruptStillWakesIt() throws Exception {
        CompletableFuture<Object> waiter = blockedIn(msi);
        msi.close(); // the read holds the file; VFIO holds the eventfd context for its MSI trigger

        assertStillWaiting(waiter);
        w.model().context.signalMsi(0);
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo(1L);
        assertThat(w.kernel().resources().openFiles()).noneMatch(line -> line.contains("eventfd"));
        VfioException again = org.junit.jupiter.api.Assertions.assertThrows(VfioException.class, msi::await);
        assertThat(again.errno()).isEqualTo(Errno.EBADF);
        assertThat(again).hasMessageContaining("closed");
    }

    @Test
    void closingTheKernel_wakesTheReader_withEbadfAndWhy() throws Exception {
        CompletableFuture<Object> waiter = blockedIn(msi);
        w.vfio().close();

        Object outcome = waiter.get(5, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOf(VfioException.class);
        VfioException e = (VfioException) outcome;
        assertThat(e.errno()).isEqualTo(Errno.EBADF);
        assertThat(e).hasMessageContaining("the simulated kernel was closed while this thread waited in read(2)");
    }

    @Test
    void closingTheKernel_wakesAThreadInPoll() throws Exception {
        CompletableFuture<Object> waiter = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                waiter.complete(msi.await(Duration.ofMinutes(10)));
            } catch (Throwable e) {
                waiter.complete(e);
            }
        });
        awaitBlocked(t, Thread.State.TIMED_WAITING);
        w.vfio().close();

        Object outcome = waiter.get(5, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOf(VfioException.class);
        assertThat(((VfioException) outcome).errno()).isEqualTo(Errno.EBADF);
    }

    @Test
    void closingTheKernel_wakesAWriterBlockedAtTheCountersMaximum() throws Exception {
        msi.signal(-2L); // 2^64-2: the counter's maximum; the next write blocks
        CompletableFuture<Object> waiter = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                msi.signal(1);
                waiter.complete("returned");
            } catch (Throwable e) {
                waiter.complete(e);
            }
        });
        awaitBlocked(t, Thread.State.WAITING);
        w.vfio().close();

        Object outcome = waiter.get(5, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOf(VfioException.class);
        assertThat((VfioException) outcome).hasMessageContaining("write(2)");
    }

    /** A thread blocked in {@link EventNotifier#await()} (a blocking read: the Vfio has no await timeout). */
    private static CompletableFuture<Object> blockedIn(EventNotifier n) throws InterruptedException {
        CompletableFuture<Object> f = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                f.complete(n.await());
            } catch (Throwable e) {
                f.complete(e);
            }
        });
        awaitBlocked(t, Thread.State.WAITING);
        return f;
    }

    private static void awaitBlocked(Thread t, Thread.State state) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.getState() != state && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertThat(t.getState()).as("the waiter blocks").isEqualTo(state);
    }

    private static void assertStillWaiting(CompletableFuture<Object> waiter) throws InterruptedException {
        Thread.sleep(STILL_WAITING.toMillis());
        assertThat(waiter).as("the waiter is still blocked").isNotDone();
    }
}
