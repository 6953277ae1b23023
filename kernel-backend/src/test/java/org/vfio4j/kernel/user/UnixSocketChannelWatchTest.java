package org.vfio4j.kernel.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel.Watch;
import org.vfio4j.user.VfioUserHeader;
import org.vfio4j.user.VfioUserMessage;

/**
 * {@link UnixSocketChannel#watch} over real eventfds: every read of the counter runs the callback
 * once (signals written before a read add up to one run), and closing the watch or the channel
 * stops the thread, leaves the counter unread and releases every descriptor the watch made.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UnixSocketChannelWatchTest {
    /** How long a test waits for a callback that must come. */
    private static final long COMES = 10;
    /** How long a test waits to see that a callback does not come. */
    private static final long QUIET_MILLIS = 300;

    private final UnixSocketChannel client;
    private final UnixSocketChannel server;

    UnixSocketChannelWatchTest() throws IOException {
        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        client = pair[0];
        server = pair[1];
    }

    @AfterEach
    void closeBoth() {
        client.close();
        server.close();
    }

    /** Adds {@code value} to an eventfd's counter with the tests' own write(2). */
    private static void add(int eventfd, long value) throws Throwable {
        TestFds.writeAll(eventfd, ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(value).array());
    }

    /** The counter, read (and reset) by the test; 0 when it was 0 (the read fails with EAGAIN). */
    private static long counter(int eventfd) throws Throwable {
        try {
            return TestFds.readCounter(eventfd);
        } catch (TestFds.Failed e) {
            assertThat(e.errno).isEqualTo(TestFds.EAGAIN);
            return 0;
        }
    }

    private static boolean watchThreadAlive(int fd) {
        String name = "vfio-user eventfd watch fd " + fd + " ";
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith(name));
    }

    /** Close does not wait for the watch's thread: it leaves (closing its descriptors) moments later. */
    private static boolean watchThreadLeaves(int fd) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(COMES);
        while (watchThreadAlive(fd) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return !watchThreadAlive(fd);
    }

    @Test
    void eachSignalReadRunsTheCallbackOnceAndConsumesTheCounter() throws Throwable {
        int eventfd = TestFds.eventfd();
        BlockingQueue<Thread> runs = new LinkedBlockingQueue<>();
        try (PassedFd fd = UnixSocketChannel.adopt(eventfd); Watch w = server.watch(fd, () -> runs.add(Thread.currentThread()))) {
            for (int i = 0; i < 3; i++) {
                add(eventfd, 1);
                Thread ran = runs.poll(COMES, TimeUnit.SECONDS);
                assertThat(ran).as("signal %d", i).isNotNull();
                assertThat(ran).isNotSameAs(Thread.currentThread());
            }
            add(eventfd, 5); // five signals before the watch reads: one read of 5, one run

            assertThat(runs.poll(COMES, TimeUnit.SECONDS)).isNotNull();
            assertThat(runs.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS)).as("signals coalesced into one read").isNull();
            assertThat(counter(eventfd)).as("the watch read the counter").isZero();
        }
    }

    @Test
    void aSignalPendingBeforeTheWatchRunsTheCallbackOnceAtTheStart() throws Throwable {
        int eventfd = TestFds.eventfd();
        add(eventfd, 2);
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch ran = new CountDownLatch(1);
        try (PassedFd fd = UnixSocketChannel.adopt(eventfd); Watch w = server.watch(fd, () -> {
            runs.incrementAndGet();
            ran.countDown();
        })) {
            assertThat(ran.await(COMES, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(QUIET_MILLIS);
            assertThat(runs).hasValue(1);
            assertThat(counter(eventfd)).isZero();
        }
    }

    @Test
    void closingTheWatchStopsItsThreadAndLeavesLaterSignalsUnread() throws Throwable {
        int eventfd = TestFds.eventfd();
        List<String> before = TestFds.openDescriptors();
        AtomicInteger runs = new AtomicInteger();
        try (PassedFd fd = UnixSocketChannel.adopt(eventfd)) {
            Watch w = server.watch(fd, runs::incrementAndGet);
            assertThat(watchThreadAlive(eventfd)).isTrue();
            assertThat(TestFds.openDescriptors()).as("the watch's wake-up eventfd and its duplicate of the watched one")
                    .hasSize(before.size() + 2);

            w.close();

            assertThat(watchThreadLeaves(eventfd)).as("the thread leaves once woken").isTrue();
            assertThat(TestFds.openDescriptors()).isEqualTo(before);
            add(eventfd, 1);
            Thread.sleep(QUIET_MILLIS);
            assertThat(runs).hasValue(0);
            assertThat(counter(eventfd)).as("nobody reads the counter any more").isEqualTo(1);
            w.close(); // a second close does nothing
        }
    }

    @Test
    void closeDoesNotWaitForACallbackInFlight_whichEnds_andNoOtherRunFollows() throws Throwable {
        // the callback waits for a lock the closing thread holds, as the server's write to the simulated
        // kernel waits for the kernel lock under which the server closes the watch: close must not wait
        int eventfd = TestFds.eventfd();
        Object lock = new Object();
        CountDownLatch entered = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        try (PassedFd fd = UnixSocketChannel.adopt(eventfd)) {
            Watch w = server.watch(fd, () -> {
                entered.countDown();
                synchronized (lock) {
                    finished.incrementAndGet();
                }
            });
            synchronized (lock) {
                add(eventfd, 1);
                assertThat(entered.await(COMES, TimeUnit.SECONDS)).isTrue();
                assertTimeoutPreemptively(java.time.Duration.ofSeconds(COMES), w::close);
                assertThat(finished).as("still waiting for the lock").hasValue(0);
                add(eventfd, 1);
            }
            assertThat(watchThreadLeaves(eventfd)).isTrue();
            assertThat(finished).as("the run in flight ended, no other followed").hasValue(1);
            assertThat(counter(eventfd)).as("the signal after close was never read").isEqualTo(1);
        }
    }

    @Test
    void theCallerMayCloseItsDescriptorRightAfterClosingTheWatch() throws Throwable {
        int eventfd = TestFds.eventfd();
        List<String> before = TestFds.openDescriptors();
        PassedFd fd = UnixSocketChannel.adopt(eventfd);
        Watch w = server.watch(fd, () -> { });
        w.close();
        fd.close(); // the watch reads its own duplicate: the number may be handed out again at once
        int reused = TestFds.eventfd();
        try {
            add(reused, 3);
            assertThat(watchThreadLeaves(eventfd)).isTrue();
            assertThat(counter(reused)).as("nothing read the eventfd that got the old number").isEqualTo(3);
        } finally {
            TestFds.close(reused);
        }
        assertThat(TestFds.openDescriptors()).as("the watched eventfd, the duplicate and the wake-up eventfd are closed")
                .hasSize(before.size() - 1);
    }

    @Test
    void aCallbackMayCloseItsOwnWatch() throws Throwable {
        int eventfd = TestFds.eventfd();
        AtomicInteger runs = new AtomicInteger();
        Watch[] self = new Watch[1];
        CountDownLatch ran = new CountDownLatch(1);
        try (PassedFd fd = UnixSocketChannel.adopt(eventfd)) {
            synchronized (self) {
                self[0] = server.watch(fd, () -> {
                    runs.incrementAndGet();
                    synchronized (self) {
                        self[0].close();
                    }
                    ran.countDown();
                });
            }
            add(eventfd, 1);
            assertThat(ran.await(COMES, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(COMES);
            while (watchThreadAlive(eventfd) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(watchThreadAlive(eventfd)).isFalse();
            add(eventfd, 1);
            Thread.sleep(QUIET_MILLIS);
            assertThat(runs).hasValue(1);
        }
    }

    @Test
    void closingTheChannelStopsEveryWatchBeforeClosingWhatTheyWatch() throws Throwable {
        int adopted = TestFds.eventfd();
        int sent = TestFds.eventfd();
        List<String> before = TestFds.openDescriptors();
        AtomicInteger runs = new AtomicInteger();
        try (PassedFd own = UnixSocketChannel.adopt(adopted); PassedFd irq = UnixSocketChannel.adopt(sent)) {
            client.send(new VfioUserMessage(new VfioUserHeader(1, 8, VfioUserHeader.SIZE, 0, 0), new byte[0], List.of(irq)));
            PassedFd received = server.receive().fds().get(0);
            server.watch(own, runs::incrementAndGet);
            server.watch(received, runs::incrementAndGet);
            assertThat(watchThreadAlive(adopted)).isTrue();
            assertThat(watchThreadAlive(received.number())).isTrue();

            server.close();

            assertThat(watchThreadLeaves(adopted)).isTrue();
            assertThat(watchThreadLeaves(received.number())).isTrue();
            assertThat(TestFds.isOpen(received.number())).as("the channel closes what it received").isFalse();
            assertThat(TestFds.isOpen(adopted)).as("an adopted descriptor stays its owner's").isTrue();
            assertThat(before).containsAll(TestFds.openDescriptors()); // no wake-up eventfd left (the server's socket went too)
            add(adopted, 1);
            add(sent, 1);
            Thread.sleep(QUIET_MILLIS);
            assertThat(runs).hasValue(0);
            assertThat(counter(adopted)).isEqualTo(1);
            assertThat(counter(sent)).as("the same eventfd the server received").isEqualTo(1);
        }
    }

    @Test
    void onlyAnOpenEventfdOnAnOpenChannelCanBeWatched() throws Throwable {
        int memfd = TestFds.memfd("not-an-eventfd", 4096);
        List<String> before = TestFds.openDescriptors();
        try (PassedFd memory = UnixSocketChannel.adopt(memfd)) {
            assertThatThrownBy(() -> server.watch(memory, () -> { })).isInstanceOf(IOException.class)
                    .hasMessageContaining("EINVAL").hasMessageContaining("only an eventfd");
            assertThat(watchThreadAlive(memfd)).isFalse();
            assertThat(TestFds.openDescriptors()).isEqualTo(before);
        }
        PassedFd closed = UnixSocketChannel.adopt(TestFds.eventfd());
        closed.close();
        assertThatThrownBy(() -> server.watch(closed, () -> { })).isInstanceOf(IOException.class).hasMessageContaining("EBADF");

        int eventfd = TestFds.eventfd();
        try (PassedFd fd = UnixSocketChannel.adopt(eventfd)) {
            server.close();
            assertThatThrownBy(() -> server.watch(fd, () -> { })).isInstanceOf(IOException.class).hasMessageContaining("closed");
            assertThat(watchThreadAlive(eventfd)).isFalse();
        }
    }
}
