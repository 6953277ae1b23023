package org.vfio4j.sim.user;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.vfio4j.VfioException;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.user.PassedFd;
import org.vfio4j.user.VfioUserChannel;

/**
 * The interrupts a vfio-user server forwards: for each IRQ index and vector the client gave an
 * eventfd for, a simulated eventfd that the simulated device's VFIO signals and whose every signal
 * becomes {@link VfioUserChannel#signal} of the client's eventfd (vfio-user.rst, "The server may
 * trigger the IRQ by writing 1 to the eventfd"). Used by the server's handlers, under the kernel
 * lock; the forwarding itself runs on whatever thread signals, under the kernel lock too.
 */
final class IrqForwards {
    /** One vector's forward: the simulated eventfd the kernel signals and the client's eventfd. */
    record Forward(Fd simulated, PassedFd client) {}

    private final SimulatedKernel kernel;
    private final VfioUserChannel channel;
    private final Consumer<String> log;
    /** By (index << 32 | vector). */
    private final Map<Long, Forward> forwards = new TreeMap<>();

    IrqForwards(SimulatedKernel kernel, VfioUserChannel channel, Consumer<String> log) {
        this.kernel = kernel;
        this.channel = channel;
        this.log = log;
    }

    /**
     * New simulated eventfds, one per client eventfd, each forwarding its signals to it; on a
     * failure none stays open (the client's fds are the caller's to close).
     */
    List<Fd> create(List<PassedFd> clientFds) throws VfioException {
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

    /** Runs under the kernel lock on the signalling thread: one write to the client's eventfd, nothing more. */
    private void forward(PassedFd client) {
        try {
            channel.signal(client);
        } catch (IOException | RuntimeException e) {
            log.accept("interrupt for client eventfd " + client.number() + " not delivered: " + e);
        }
    }

    /** After a successful SET_IRQS: vectors {@code start..} of {@code index} now use {@code made} (null entries: none). */
    void replace(int index, int start, List<Fd> made, List<PassedFd> clientFds) {
        for (int i = 0; i < made.size(); i++) {
            long key = key(index, start + i);
            release(forwards.remove(key));
            if (made.get(i) != null) {
                forwards.put(key, new Forward(made.get(i), clientFds.get(i)));
            }
        }
    }

    /** After a successful SET_IRQS that disabled {@code index} (count 0): every forward of it goes. */
    void releaseIndex(int index) {
        for (Iterator<Map.Entry<Long, Forward>> it = forwards.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Forward> e = it.next();
            if ((int) (e.getKey() >>> 32) == index) {
                release(e.getValue());
                it.remove();
            }
        }
    }

    /** Undoes {@link #create} for a SET_IRQS the kernel refused. */
    void discard(List<Fd> made) {
        made.forEach(this::closeQuietly);
    }

    /** Vectors with a forward, as "index/vector" (for tests and diagnostics). */
    List<String> describe() {
        List<String> out = new ArrayList<>();
        forwards.forEach((k, f) -> out.add((k >>> 32) + "/" + (k & 0xffff_ffffL) + " -> client fd " + f.client().number()));
        return out;
    }

    /** Closes every simulated eventfd and client eventfd (after the device is closed). */
    void closeAll() {
        forwards.values().forEach(this::release);
        forwards.clear();
    }

    private void release(Forward f) {
        if (f != null) {
            closeQuietly(f.simulated());
            f.client().close();
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
