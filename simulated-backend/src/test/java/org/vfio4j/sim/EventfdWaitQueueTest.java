package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.PollFd;

/**
 * Each eventfd has its own wait queue ({@code eventfd_ctx.wqh}): a change of one eventfd wakes the
 * threads waiting on it (in read, write or a poll that includes it) and no other; no wake-up is lost
 * between a waiter queueing itself and parking; and every way out of a wait (a result, EINTR, EBADF
 * when the kernel closes, a poll timeout) leaves no entry in any queue.
 */
class EventfdWaitQueueTest {
    private static final long WAIT_SECONDS = 10;

    private SimulatedKernel k;
    private Fd a;
    private Fd b;

    @BeforeEach
    void boot() throws VfioException {
        k = SimulatedHost.x86Type1().boot();
        a = k.eventfd(0, 0);
        b = k.eventfd(0, 0);
    }

    @AfterEach
    void close() {
        k.close();
    }

    @Test
    void aReaderOfA_sleepsThroughChangesOfB_andWakesOnceWhenAIsSignalled() throws Exception {
        Outcome reader = Outcome.of("reader of A", () -> k.readEventCounter(a));
        awaitWaiters(1, reader, Thread.State.WAITING);
        long before = k.eventfdWakeUps();

        for (int i = 0; i < 1000; i++) {
            k.writeEventCounter(b, 1);
            assertThat(k.readEventCounter(b)).isEqualTo(1); // a read that consumes wakes B's (absent) writers too
        }
        assertThat(k.eventfdWakeUps()).as("wake-ups caused by 2000 changes of B").isEqualTo(before);
        assertThat(reader.thread.getState()).as("the reader of A still parked").isEqualTo(Thread.State.WAITING);
        assertThat(waiters()).containsEntry("eventfd waiters", 1L).containsEntry("eventfd wait-queue entries", 1L);

        k.writeEventCounter(a, 5);
        assertThat(reader.get()).isEqualTo(5L);
        assertThat(k.eventfdWakeUps()).as("one wake-up, for the one waiter of A").isEqualTo(before + 1);
        assertNoWaiters();
    }

    @Test
    void aWriterAtTheMaximum_wakesWhenItsOwnCounterIsRead_notOnAnotherEventfd() throws Exception {
        k.writeEventCounter(a, -2L); // 2^64-2: the next write of A blocks
        Outcome writer = Outcome.of("writer of A", () -> {
            k.writeEventCounter(a, 1);
            return "written";
        });
        awaitWaiters(1, writer, Thread.State.WAITING);
        long before = k.eventfdWakeUps();
        k.writeEventCounter(b, 1);
        k.readEventCounter(b);
        assertThat(k.eventfdWakeUps()).isEqualTo(before);

        assertThat(k.readEventCounter(a)).isEqualTo(-2L);
        assertThat(writer.get()).isEqualTo("written");
        assertThat(k.readEventCounter(a)).isEqualTo(1);
        assertNoWaiters();
    }

    @Test
    void aPollOverAAndB_wakesWhenBIsSignalled_andNotForAThirdEventfd() throws Exception {
        Fd c = k.eventfd(0, 0);
        Outcome poller = Outcome.of("poll over A and B", () -> k.poll(List.of(PollFd.readable(a), PollFd.readable(b)), -1));
        awaitWaiters(1, poller, Thread.State.WAITING);
        assertThat(waiters()).as("one waiter, in two queues").containsEntry("eventfd wait-queue entries", 2L);
        long before = k.eventfdWakeUps();

        k.writeEventCounter(c, 1);
        assertThat(k.eventfdWakeUps()).isEqualTo(before);
        assertThat(poller.thread.getState()).isEqualTo(Thread.State.WAITING);

        k.writeEventCounter(b, 1);
        assertThat((short[]) poller.get()).containsExactly((short) 0, LinuxAbi.POLLIN);
        assertThat(k.eventfdWakeUps()).isEqualTo(before + 1);
        assertNoWaiters();
    }

    @Test
    void noWakeUpIsLost_in100kHandshakes_throughReadAndPoll() throws Exception {
        int rounds = 100_000;
        Fd quiet = k.eventfd(0, 0); // in every poll, never signalled
        Outcome ping = Outcome.of("ping: writes A, waits in read(2) for B", () -> {
            for (int i = 0; i < rounds; i++) {
                k.writeEventCounter(a, 1);
                if (k.readEventCounter(b) != 1) {
                    return "round " + i + ": B was not 1";
                }
            }
            return "done";
        });
        Outcome pong = Outcome.of("pong: waits for A in read(2) or poll(2), writes B", () -> {
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 1) {
                    short[] r = k.poll(List.of(PollFd.readable(quiet), PollFd.readable(a)), -1);
                    if (r[1] != LinuxAbi.POLLIN) {
                        return "round " + i + ": poll woke without A readable: " + Arrays.toString(r);
                    }
                }
                if (k.readEventCounter(a) != 1) {
                    return "round " + i + ": A was not 1";
                }
                k.writeEventCounter(b, 1);
            }
            return "done";
        });
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean ended = false;
        while (!ended && System.nanoTime() < until) { // both done, or one ended early (then the other may wait for ever)
            Thread.sleep(10);
            ended = ping.result.isDone() && pong.result.isDone()
                    || !"done".equals(ping.result.getNow("done")) || !"done".equals(pong.result.getNow("done"));
        }
        assertThat(List.of(ping.get(1), pong.get(1))).as("a wrong round ends one side, and then the other waits").containsExactly("done", "done");
        assertNoWaiters();
    }

    @Test
    void anInterruptedRead_failsWithEintr_keepsTheInterrupt_andLeavesNoQueueEntry() throws Exception {
        Outcome reader = Outcome.of("reader", () -> {
            try {
                return k.readEventCounter(a);
            } catch (VfioException e) {
                return List.of(e, Thread.currentThread().isInterrupted());
            }
        });
        awaitWaiters(1, reader, Thread.State.WAITING);
        reader.thread.interrupt();
        List<?> r = (List<?>) reader.get();
        assertThat(((VfioException) r.get(0)).errno()).isEqualTo(Errno.EINTR);
        assertThat((VfioException) r.get(0)).hasMessageContaining("interrupted while waiting for the eventfd");
        assertThat(r.get(1)).as("the interrupt is still set").isEqualTo(true);
        assertNoWaiters();
    }

    @Test
    void anInterruptedWriteAndPoll_failWithEintr_andLeaveNoQueueEntry() throws Exception {
        k.writeEventCounter(b, -2L);
        Outcome writer = Outcome.of("writer at the maximum", () -> {
            k.writeEventCounter(b, 1);
            return "written";
        });
        Outcome poller = Outcome.of("poller", () -> k.poll(List.of(PollFd.readable(a)), 60_000));
        awaitWaiters(2, writer, Thread.State.WAITING);
        awaitWaiters(2, poller, Thread.State.TIMED_WAITING);
        writer.thread.interrupt();
        poller.thread.interrupt();

        assertThat(writer.get()).isInstanceOf(VfioException.class);
        assertThat(((VfioException) writer.get()).errno()).isEqualTo(Errno.EINTR);
        assertThat((VfioException) writer.get()).hasMessageContaining("interrupted while waiting for room in the eventfd");
        assertThat(((VfioException) poller.get()).errno()).isEqualTo(Errno.EINTR);
        assertNoWaiters();
    }

    @Test
    void aPollThatTimesOut_returnsNothingReady_andLeavesNoQueueEntry() throws Exception {
        short[] r = k.poll(List.of(PollFd.readable(a), PollFd.readable(b)), 30);
        assertThat(r).containsExactly((short) 0, (short) 0);
        assertNoWaiters();
        assertThat(k.poll(List.of(PollFd.readable(a)), 0)).containsExactly((short) 0);
        assertNoWaiters();
    }

    @Test
    void closingTheKernel_wakesEveryWaiter_withEbadf_andLeavesNoQueueEntry() throws Exception {
        Fd c = k.eventfd(0, 0);
        k.writeEventCounter(c, -2L);
        Outcome reader = Outcome.of("reader", () -> k.readEventCounter(a));
        Outcome poller = Outcome.of("poller", () -> k.poll(List.of(PollFd.readable(a), PollFd.readable(b)), -1));
        Outcome writer = Outcome.of("writer", () -> {
            k.writeEventCounter(c, 1);
            return "written";
        });
        awaitWaiters(3, reader, Thread.State.WAITING);
        awaitWaiters(3, poller, Thread.State.WAITING);
        awaitWaiters(3, writer, Thread.State.WAITING);
        assertThat(waiters()).containsEntry("eventfd wait-queue entries", 4L);

        k.close();
        for (Outcome o : List.of(reader, poller, writer)) {
            assertThat(o.get()).as(o.name).isInstanceOf(VfioException.class);
            assertThat(((VfioException) o.get()).errno()).as(o.name).isEqualTo(Errno.EBADF);
        }
        assertThat((VfioException) reader.get()).hasMessageContaining("the simulated kernel was closed while this thread waited in read(2)");
        assertThat((VfioException) writer.get()).hasMessageContaining("the simulated kernel was closed while this thread waited in write(2)");
        assertNoWaiters();
    }

    private Map<String, Long> waiters() {
        Map<String, Long> t = k.tableSizes();
        return Map.of("eventfd waiters", t.get("eventfd waiters"), "eventfd wait-queue entries", t.get("eventfd wait-queue entries"));
    }

    private void assertNoWaiters() {
        assertThat(waiters()).containsEntry("eventfd waiters", 0L).containsEntry("eventfd wait-queue entries", 0L);
    }

    /** Until {@code n} threads are queued and {@code o}'s thread is parked in {@code state}. */
    private void awaitWaiters(long n, Outcome o, Thread.State state) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while ((waiters().get("eventfd waiters") != n || o.thread.getState() != state) && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertThat(waiters().get("eventfd waiters")).as("threads waiting").isEqualTo(n);
        assertThat(o.thread.getState()).as(o.name + " parks").isEqualTo(state);
    }

    /** A thread's result or exception, with a bounded wait that fails with the thread's stack instead of hanging. */
    private record Outcome(String name, Thread thread, CompletableFuture<Object> result) {
        interface Body {
            Object run() throws Exception;
        }

        static Outcome of(String name, Body body) {
            CompletableFuture<Object> f = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().name(name).daemon().start(() -> {
                try {
                    f.complete(body.run());
                } catch (Throwable e) {
                    f.complete(e);
                }
            });
            return new Outcome(name, t, f);
        }

        Object get() throws Exception {
            return get(WAIT_SECONDS);
        }

        Object get(long seconds) throws Exception {
            try {
                return result.get(seconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                StringBuilder stack = new StringBuilder();
                for (StackTraceElement s : thread.getStackTrace()) {
                    stack.append("\n    at ").append(s);
                }
                return fail(name + " did not finish within " + seconds + " s (a lost wake-up?); it is " + thread.getState() + stack);
            }
        }
    }
}
