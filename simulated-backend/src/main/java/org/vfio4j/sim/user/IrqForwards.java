package org.vfio4j.sim.user;

import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_ACTION_MASK;
import static org.vfio4j.uapi.VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;

/**
 * The eventfds a vfio-user server passes between its client and the simulated kernel. For the
 * TRIGGER action, each IRQ index and vector the client gave an eventfd for has a simulated eventfd
 * that the simulated device's VFIO signals and whose every signal becomes {@link
 * VfioUserChannel#signal} of the client's eventfd (vfio-user.rst, "The server may trigger the IRQ by
 * writing 1 to the eventfd"). For the MASK and UNMASK actions it goes the other way: the client
 * signals (KVM writes QEMU's INTx resample eventfd at the guest's EOI), a {@link
 * VfioUserChannel#watch} of the client's eventfd writes each signal to a simulated eventfd, and the
 * kernel's virqfd on that one masks or unmasks ({@code vfio_pci_set_intx_unmask}). The kernel is given
 * the simulated eventfds through the same SET_IRQS, so its own rules decide what is accepted.
 *
 * <p>Used by the server's handlers, under the kernel lock; a forward runs on whatever thread
 * signals, under the kernel lock too, and a watch's write runs on the channel's watch thread.
 */
final class IrqForwards {
    /** One vector's TRIGGER forward: the simulated eventfd the kernel signals and the client's eventfd. */
    record Forward(Fd simulated, PassedFd client) {}

    /**
     * One vector's MASK or UNMASK eventfd: the client's, the channel's watch of it, and the simulated
     * eventfd the watch writes and the kernel's virqfd consumes.
     */
    record Watched(Fd simulated, PassedFd client, VfioUserChannel.Watch watch, AtomicBoolean live) {}

    private final SimulatedKernel kernel;
    private final VfioUserChannel channel;
    private final Consumer<String> log;
    /** By (index << 32 | vector). */
    private final Map<Long, Forward> forwards = new TreeMap<>();
    /** By action (MASK or UNMASK), then (index << 32 | vector). */
    private final Map<Integer, Map<Long, Watched>> watched = new TreeMap<>();
    /** What the last {@link #create} for MASK or UNMASK made, until {@link #replace} or {@link #discard}. */
    private List<Watched> pending = List.of();

    IrqForwards(SimulatedKernel kernel, VfioUserChannel channel, Consumer<String> log) {
        this.kernel = kernel;
        this.channel = channel;
        this.log = log;
    }

    /**
     * New simulated eventfds, one per client eventfd: for TRIGGER each forwards its signals to the
     * client's; for MASK and UNMASK the client's is watched and each of its signals written to the
     * simulated one. On a failure none stays open (the client's fds are the caller's to close).
     */
    List<Fd> create(int action, List<PassedFd> clientFds) throws VfioException {
        if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
            pending = watchAll(clientFds);
            return pending.stream().map(Watched::simulated).toList();
        }
        List<Fd> made = new ArrayList<>();
        try {
            for (PassedFd client : clientFds) {
                made.add(kernel.eventfd(0, LinuxAbi.EFD_CLOEXEC, () -> forward(client)));
            }
            return made;
        } catch (VfioException | RuntimeException e) {
            made.forEach(this::closeQuietly);
            throw e;
        }
    }

    private List<Watched> watchAll(List<PassedFd> clientFds) throws VfioException {
        List<Watched> made = new ArrayList<>();
        try {
            for (PassedFd client : clientFds) {
                // non-blocking: a write at the counter's maximum fails instead of stopping the watch thread
                Fd simulated = kernel.eventfd(0, LinuxAbi.EFD_CLOEXEC | LinuxAbi.EFD_NONBLOCK);
                AtomicBoolean live = new AtomicBoolean(true);
                try {
                    made.add(new Watched(simulated, client, channel.watch(client, () -> pass(simulated, client, live)), live));
                } catch (IOException | RuntimeException e) {
                    closeQuietly(simulated);
                    throw e;
                }
            }
            return made;
        } catch (VfioException | RuntimeException e) {
            made.forEach(this::abandon);
            throw e;
        } catch (IOException e) { // the channel's, not the kernel's
            made.forEach(this::abandon);
            throw new VfioException(Errno.EIO, "VFIO_USER_DEVICE_SET_IRQS", "client eventfd",
                    "the server cannot watch the client's eventfd: " + e.getMessage());
        }
    }

    /**
     * Stops a watch and closes its simulated eventfd; the client's eventfd stays the caller's. Under
     * the kernel lock: the watch's write, which takes that lock, then finds it no longer live, so it
     * never reaches the closed eventfd nor one that got its number (the watch's close does not wait
     * for a write in flight, which waits for this very lock).
     */
    private void abandon(Watched w) {
        kernel.locked(() -> {
            w.live().set(false);
            w.watch().close();
            closeQuietly(w.simulated());
        });
    }

    /** On the watch's thread: the client's signal is a write of 1 to the simulated eventfd, which the kernel's virqfd consumes. */
    private void pass(Fd simulated, PassedFd client, AtomicBoolean live) {
        try {
            kernel.locked(() -> {
                if (live.get()) {
                    kernel.writeEventCounter(simulated, 1);
                }
            });
        } catch (VfioException | RuntimeException e) {
            log.accept("signal of client eventfd " + client.number() + " not passed to the kernel: " + e.getMessage());
        }
    }

    /** Runs under the kernel lock on the signalling thread: one write to the client's eventfd, nothing more. */
    private void forward(PassedFd client) {
        try {
            channel.signal(client);
        } catch (IOException | RuntimeException e) {
            log.accept("interrupt for client eventfd " + client.number() + " not delivered: " + e);
        }
    }

    /**
     * After a successful SET_IRQS of {@code action}: vectors {@code start..} of {@code index} now use
     * {@code made} (null entries: none, as the kernel dropped the eventfd or virqfd it had there).
     */
    void replace(int action, int index, int start, List<Fd> made, List<PassedFd> clientFds) {
        if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
            Map<Long, Watched> byVector = watched.computeIfAbsent(action, a -> new TreeMap<>());
            for (int i = 0; i < made.size(); i++) {
                long key = key(index, start + i);
                release(byVector.remove(key)); // vfio_virqfd_disable, or the kernel replaced it
                if (made.get(i) != null) {
                    byVector.put(key, pending.get(i));
                }
            }
            pending = List.of();
            return;
        }
        for (int i = 0; i < made.size(); i++) {
            long key = key(index, start + i);
            release(forwards.remove(key));
            if (made.get(i) != null) {
                forwards.put(key, new Forward(made.get(i), clientFds.get(i)));
            }
        }
    }

    /**
     * After a successful SET_IRQS that disabled {@code index} (count 0): every forward and watched
     * eventfd of it goes, as the kernel drops the index's virqfds with it ({@code vfio_intx_disable}).
     */
    void releaseIndex(int index) {
        for (Iterator<Map.Entry<Long, Forward>> it = forwards.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Forward> e = it.next();
            if ((int) (e.getKey() >>> 32) == index) {
                release(e.getValue());
                it.remove();
            }
        }
        for (Map<Long, Watched> byVector : watched.values()) {
            for (Iterator<Map.Entry<Long, Watched>> it = byVector.entrySet().iterator(); it.hasNext();) {
                Map.Entry<Long, Watched> e = it.next();
                if ((int) (e.getKey() >>> 32) == index) {
                    release(e.getValue());
                    it.remove();
                }
            }
        }
    }

    /** Undoes {@link #create} for a SET_IRQS the kernel refused. */
    void discard(List<Fd> made) {
        if (!pending.isEmpty()) {
            pending.forEach(this::abandon);
            pending = List.of();
            return;
        }
        made.forEach(this::closeQuietly);
    }

    /** Whether a MASK or UNMASK eventfd of the client's is watched for {@code vector} of {@code index}. */
    boolean watching(int action, int index, int vector) {
        Map<Long, Watched> byVector = watched.get(action);
        return byVector != null && byVector.containsKey(key(index, vector));
    }

    /** Vectors with a forward or a watched eventfd, as "index/vector" (for tests and diagnostics). */
    List<String> describe() {
        List<String> out = new ArrayList<>();
        forwards.forEach((k, f) -> out.add((k >>> 32) + "/" + (k & 0xffff_ffffL) + " -> client fd " + f.client().number()));
        watched.forEach((action, byVector) -> byVector.forEach((k, w) -> out.add((k >>> 32) + "/" + (k & 0xffff_ffffL)
                + (action == VFIO_IRQ_SET_ACTION_MASK ? " mask" : " unmask") + " <- client fd " + w.client().number())));
        return out;
    }

    /** Closes every simulated eventfd and client eventfd, watches first (after the device is closed). */
    void closeAll() {
        forwards.values().forEach(this::release);
        forwards.clear();
        watched.values().forEach(byVector -> byVector.values().forEach(this::release));
        watched.clear();
    }

    private void release(Forward f) {
        if (f != null) {
            closeQuietly(f.simulated());
            f.client().close();
        }
    }

    /** The watch stops before either eventfd closes, so its write never reaches a closed one. */
    private void release(Watched w) {
        if (w != null) {
            abandon(w);
            w.client().close();
        }
    }

    private void closeQuietly(Fd fd) {
        try {
            kernel.close(fd);
        } catch (VfioException e) {
            log.accept("closing simulated eventfd " + fd + " failed: " + e.getMessage());
        }
    }

    private static long key(int index, int vector) {
        return (long) index << 32 | Integer.toUnsignedLong(vector);
    }
}
