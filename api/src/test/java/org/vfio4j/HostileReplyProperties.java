package org.vfio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.vfio4j.NaiveReplies.Decoded;
import org.vfio4j.NaiveReplies.Expected;
import org.vfio4j.NaiveReplies.Malformed;
import org.vfio4j.NaiveReplies.Refused;
import org.vfio4j.RecordingSeam.Forged;

/**
 * The typed layer against a lying seam. Well-formed replies, encoded by {@link NaiveReplies} from
 * a generated model, must decode to that model in exactly the calls the argsz protocol needs.
 * Mutated replies (a {@code next}, a count, {@code cap_offset}, {@code argsz} or the flags set to
 * values near the chain's own offsets and the bounds, or to anything) and random fixed structs and
 * results must end as {@link NaiveReplies}' reference reader says: the value it reads, the errno
 * the seam threw, or EPROTO naming the ioctl; never another exception, never more than two calls,
 * never an argsz above 1 MiB sent to the seam.
 *
 * <p>Each try checks {@link #BATCH} cases: one in {@code mvn verify}, 20 with {@code -Preliability}
 * ({@code vfio4j.scale=large}); a failing batch shrinks to its one failing case.
 */
class HostileReplyProperties {
    private static final int BATCH = "large".equals(System.getProperty("vfio4j.scale", "small")) ? 20 : 1;
    private static final long MAX_ARGSZ = NaiveReplies.MAX_ARGSZ;

    // ---- what the typed layer did ----

    @FunctionalInterface
    interface Call<T> {
        T run() throws VfioException;
    }

    /** The value, or the VfioException; anything else fails the property. */
    private static <T> Object outcome(Call<T> call) {
        try {
            return call.run();
        } catch (VfioException e) {
            return e;
        } catch (RuntimeException | Error e) {
            throw new AssertionError("the typed layer let " + e + " escape", e);
        }
    }

    private static void assertAgrees(Object actual, NaiveReplies.Outcome<?> expected, String ioctl) {
        switch (expected) {
            case Decoded<?> d -> assertThat(actual).isEqualTo(d.value());
            case Malformed<?> m -> assertThat(actual).isInstanceOfSatisfying(VfioException.class, e -> {
                assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EPROTO);
                assertThat(e.operation()).isEqualTo(ioctl);
                assertThat(e.getMessage()).startsWith(ioctl + " on ");
            });
            case Refused<?> r -> assertThat(actual).isInstanceOfSatisfying(VfioException.class,
                    e -> assertThat(e.errno()).isEqualTo(r.errno()));
        }
    }

    /** The argsz of each pointer call, and that none reached past the bound. */
    private static List<Long> argszSent(RecordingSeam seam) {
        assertThat(seam.calls).hasSizeLessThanOrEqualTo(2);
        List<Long> sent = new ArrayList<>();
        for (RecordingSeam.Call c : seam.calls) {
            assertThat((long) c.sent().length).isLessThanOrEqualTo(MAX_ARGSZ);
            sent.add(Integer.toUnsignedLong(NaiveReplies.le(c.sent()).getInt(0)));
        }
        return sent;
    }

    private static <T> void check(Expected<T> expected, String ioctl, RecordingSeam seam, Call<T> call) {
        Object actual = outcome(call);
        assertAgrees(actual, expected.outcome(), ioctl);
        assertThat(argszSent(seam)).as("argsz of each call").isEqualTo(expected.argszSent());
    }

    // ---- models of well-formed replies ----

    /** A capability with the zero bytes after it (6.6 rounds each up to 8 bytes). */
    record Padded<C>(C cap, int pad) {}

    record IommuModel(int flags, long pageSizes, List<Padded<IommuCapability>> caps) {}

    record RegionModel(int index, int flags, long size, long offset, List<Padded<RegionCapability>> caps) {}

    /** The replies of a well-formed exchange, what they decode to, the argsz of each call, and where each capability starts. */
    record Exchange<T>(List<Forged> replies, T value, List<Long> argsz, List<Integer> capStarts) {}

    private static <C> Arbitrary<Padded<C>> padded(Arbitrary<C> caps) {
        return Combinators.combine(caps, Arbitraries.integers().between(0, 7)).as(Padded::new);
    }

    private static Arbitrary<byte[]> bodies() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
    }

    /** Sorted, disjoint IOVA ranges from distinct u64s taken two by two. */
    private static Arbitrary<List<IovaRange>> iovaRanges() {
        return Arbitraries.longs().list().ofMaxSize(12).uniqueElements().map(values -> {
            List<Long> sorted = new ArrayList<>(values);
            sorted.sort(Long::compareUnsigned);
            List<IovaRange> ranges = new ArrayList<>();
            for (int i = 0; i + 1 < sorted.size(); i += 2) {
                ranges.add(new IovaRange(sorted.get(i), sorted.get(i + 1)));
            }
            return ranges;
        });
    }

    private static Arbitrary<IommuCapability> iommuCapabilities() {
        Arbitrary<IommuCapability> unknown = Combinators.combine(Arbitraries.integers().between(0, 0xffff).filter(id -> id < 1 || id > 3),
                Arbitraries.integers().between(0, 0xffff), bodies()).as((id, version, body) -> {
                    byte[] bytes = new byte[8 + body.length];
                    System.arraycopy(body, 0, bytes, 8, body.length);
                    return new IommuCapability.Unknown(id, version, bytes);
                });
        return Arbitraries.oneOf(iovaRanges().map(IommuCapability.IovaRanges::new),
                Arbitraries.integers().map(IommuCapability.DmaAvailable::new),
                Combinators.combine(Arbitraries.integers(), Arbitraries.longs(), Arbitraries.longs()).as(IommuCapability.Migration::new),
                unknown);
    }

    private static Arbitrary<RegionCapability> regionCapabilities() {
        Arbitrary<RegionCapability.Area> area = Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(RegionCapability.Area::new);
        Arbitrary<RegionCapability> unknown = Combinators.combine(Arbitraries.integers().between(0, 0xffff),
                Arbitraries.integers().between(0, 0xffff), bodies())
                .filter((id, version, body) -> id < 1 || id > 5 || version != 1).as(RegionCapability.Unknown::new);
        return Arbitraries.oneOf(area.list().ofMaxSize(5).map(RegionCapability.SparseMmap::new),
                Combinators.combine(Arbitraries.integers(), Arbitraries.integers()).as(RegionCapability.Type::new),
                Arbitraries.just(new RegionCapability.MsixMappable()),
                Arbitraries.longs().map(RegionCapability.Nvlink2Ssatgt::new),
                Arbitraries.integers().map(RegionCapability.Nvlink2LinkSpeed::new),
                unknown);
    }

    private static Arbitrary<IommuModel> iommuModels() {
        return Combinators.combine(Arbitraries.integers(), Arbitraries.longs(), padded(iommuCapabilities()).list().ofMaxSize(5))
                .as(IommuModel::new);
    }

    private static Arbitrary<RegionModel> regionModels() {
        return Combinators.combine(Arbitraries.integers().between(0, 12), Arbitraries.integers(), Arbitraries.longs(), Arbitraries.longs(),
                padded(regionCapabilities()).list().ofMaxSize(5)).as(RegionModel::new);
    }

    private static Arbitrary<List<HotResetInfo.Device>> hotResetDevices() {
        Arbitrary<PciAddress> address = Combinators.combine(Arbitraries.integers().between(0, 0xffff), Arbitraries.integers().between(0, 0xff),
                Arbitraries.integers().between(0, 0x1f), Arbitraries.integers().between(0, 7)).as(PciAddress::new);
        return Combinators.combine(Arbitraries.integers(), address).as(HotResetInfo.Device::new).list().ofMaxSize(10);
    }

    /** Where each capability starts, the chain beginning at {@code base}. */
    private static List<Integer> starts(List<byte[]> caps, int base) {
        List<Integer> starts = new ArrayList<>();
        int at = base;
        for (byte[] c : caps) {
            starts.add(at);
            at += c.length;
        }
        return starts;
    }

    /** The header of an info reply, from its argsz, flags, cap_offset and chain. */
    @FunctionalInterface
    interface InfoReply {
        byte[] encode(long argsz, int flags, int capOffset, byte[] chain);
    }

    /**
     * As Linux answers an info ioctl whose chain follows an {@code fixed}-byte struct: with
     * capabilities, CAPS and the argsz they need in a first reply, the chain in the second; without,
     * one reply. {@code asRead} gives a capability as the decoder reads it back from its bytes
     * (unknown ones keep their bytes, with the header's next and the padding).
     */
    private static <C, V> Exchange<V> exchange(List<Padded<C>> model, Function<Padded<C>, byte[]> encode, BiFunction<C, byte[], C> asRead,
            int fixed, int capsBit, int flags, InfoReply reply, BiFunction<Integer, List<C>, V> value) {
        List<byte[]> encoded = model.stream().map(encode).toList();
        byte[] chain = NaiveReplies.link(encoded, fixed);
        List<Integer> starts = starts(encoded, fixed);
        List<C> caps = new ArrayList<>();
        for (int i = 0; i < encoded.size(); i++) {
            int at = starts.get(i) - fixed;
            caps.add(asRead.apply(model.get(i).cap(), Arrays.copyOfRange(chain, at, at + encoded.get(i).length)));
        }
        if (encoded.isEmpty()) {
            byte[] only = reply.encode(fixed, flags & ~capsBit, 0, new byte[0]);
            return new Exchange<>(List.of(Forged.bytes(only), Forged.bytes(only)), value.apply(flags & ~capsBit, caps), List.of((long) fixed),
                    starts);
        }
        long argsz = fixed + chain.length;
        return new Exchange<>(List.of(Forged.bytes(reply.encode(argsz, flags | capsBit, 0, new byte[0])),
                Forged.bytes(reply.encode(argsz, flags | capsBit, fixed, chain))), value.apply(flags | capsBit, caps), List.of((long) fixed, argsz),
                starts);
    }

    static Exchange<IommuInfo> exchange(IommuModel m) {
        return exchange(m.caps(), p -> NaiveReplies.iommuCapability(p.cap(), p.pad()),
                (c, bytes) -> c instanceof IommuCapability.Unknown u ? new IommuCapability.Unknown(u.id(), u.version(), bytes) : c,
                24, NaiveReplies.IOMMU_INFO_CAPS, m.flags(),
                (argsz, flags, capOffset, chain) -> NaiveReplies.iommuInfo(argsz, flags, m.pageSizes(), capOffset, chain),
                (flags, caps) -> new IommuInfo(flags, m.pageSizes(), caps));
    }

    static Exchange<RegionInfo> exchange(RegionModel m) {
        return exchange(m.caps(), p -> NaiveReplies.regionCapability(p.cap(), p.pad()),
                (c, bytes) -> c instanceof RegionCapability.Unknown u
                        ? new RegionCapability.Unknown(u.id(), u.version(), Arrays.copyOfRange(bytes, 8, bytes.length)) : c,
                32, NaiveReplies.REGION_INFO_FLAG_CAPS, m.flags(),
                (argsz, flags, capOffset, chain) -> NaiveReplies.regionInfo(argsz, flags, m.index(), capOffset, m.size(), m.offset(), chain),
                (flags, caps) -> new RegionInfo(m.index(), flags, m.size(), m.offset(), caps));
    }

    /** As Linux answers: ENOSPC with the count when the header has no room, then every device. */
    static Exchange<HotResetInfo> exchange(List<HotResetInfo.Device> devices) {
        Forged first = Forged.bytes(NaiveReplies.hotResetInfo(12, devices.size(), List.of()));
        long argsz = 12 + 8L * devices.size();
        return new Exchange<>(List.of(devices.isEmpty() ? first : first.failing(Errno.ENOSPC),
                Forged.bytes(NaiveReplies.hotResetInfo(argsz, devices.size(), devices))), new HotResetInfo(devices), List.of(12L, argsz),
                List.of());
    }

    // ---- well-formed replies decode to their model ----

    @Provide
    Arbitrary<List<IommuModel>> iommuBatches() {
        return iommuModels().list().ofSize(BATCH);
    }

    @Provide
    Arbitrary<List<RegionModel>> regionBatches() {
        return regionModels().list().ofSize(BATCH);
    }

    @Provide
    Arbitrary<List<List<HotResetInfo.Device>>> hotResetBatches() {
        return hotResetDevices().list().ofSize(BATCH);
    }

    @Property
    void wellFormedIommuInfo_decodesToItsModel(@ForAll("iommuBatches") List<IommuModel> batch) throws Exception {
        for (IommuModel m : batch) {
            Exchange<IommuInfo> x = exchange(m);
            RecordingSeam seam = new RecordingSeam().lie(x.replies());
            assertThat(seam.container().iommuInfo()).isEqualTo(x.value());
            assertThat(argszSent(seam)).isEqualTo(x.argsz());
        }
    }

    @Property
    void wellFormedRegionInfo_decodesToItsModel(@ForAll("regionBatches") List<RegionModel> batch) throws Exception {
        for (RegionModel m : batch) {
            Exchange<RegionInfo> x = exchange(m);
            RecordingSeam seam = new RecordingSeam().lie(x.replies());
            assertThat(seam.device().regionInfo(m.index())).isEqualTo(x.value());
            assertThat(argszSent(seam)).isEqualTo(x.argsz());
        }
    }

    @Property
    void wellFormedHotResetInfo_decodesToItsDevices(@ForAll("hotResetBatches") List<List<HotResetInfo.Device>> batch) throws Exception {
        for (List<HotResetInfo.Device> devices : batch) {
            Exchange<HotResetInfo> x = exchange(devices);
            RecordingSeam seam = new RecordingSeam().lie(x.replies());
            assertThat(seam.device().hotResetInfo()).isEqualTo(x.value());
            assertThat(argszSent(seam)).isEqualTo(x.argsz());
        }
    }

    // ---- mutated replies end as the reference says ----

    /**
     * One change to a well-formed exchange, by {@code kind}:
     * <ol start="0">
     * <li>sets a u32 of reply {@code reply}: a header field (argsz, flags, cap_offset or count), a
     *     capability's {@code next} or first field, or any place; to a value near the chain's own
     *     offsets, the counts or the end (the structure), or to a bound, 2^31, 2^32-1, the flags
     *     with CAPS flipped, or anything;
     * <li>shortens a capability by 1 to 24 bytes (its {@code next} moves back);
     * <li>shortens the last one (both replies' argsz shrink);
     * <li>reorders a capability's array: swaps its first two entries, makes the second start where
     *     the first ends, or makes the first start after its end;
     * <li>sets cap_offset (or the hot-reset count) of reply {@code reply} to a value of the structure,
     *     or one inside the fixed struct.
     * </ol>
     */
    record Mutation(int kind, int reply, int where, int what, int random) {
        void apply(List<byte[]> replies, int countField, int capsBit, List<Integer> starts) {
            int full = replies.get(1).length;
            if (kind == 4) {
                List<Long> values = new ArrayList<>(structure(replies, full, countField, starts));
                values.addAll(List.of(8L, countField + 4L, countField + 8L, (long) starts.stream().findFirst().orElse(full) - 8));
                NaiveReplies.le(replies.get(reply)).putInt(countField, (int) (long) values.get(Math.floorMod(what, values.size())));
                return;
            }
            if (kind == 1 && starts.size() > 1) {
                int i = Math.floorMod(where, starts.size() - 1);
                NaiveReplies.le(replies.get(1)).putInt(starts.get(i) + 4, starts.get(i + 1) - 1 - Math.floorMod(what, 24));
            } else if (kind == 3 && !starts.isEmpty()) {
                int i = Math.floorMod(where, starts.size());
                reorder(replies.get(1), starts.get(i), i + 1 < starts.size() ? starts.get(i + 1) : full);
            } else if (kind >= 1) {
                int argsz = full - 1 - Math.floorMod(what, 32);
                replies.forEach(b -> NaiveReplies.le(b).putInt(0, argsz));
            } else {
                set(replies, full, countField, capsBit, starts);
            }
        }

        /** The entries of a capability's array are 16 bytes each from its offset 16 (IOVA ranges, sparse-mmap areas). */
        private void reorder(byte[] b, int start, int end) {
            var le = NaiveReplies.le(b);
            int first = start + 16;
            int second = first + 16;
            switch (Math.floorMod(what, 3)) {
                case 0 -> {
                    if (second + 16 <= end) {
                        long s0 = le.getLong(first);
                        long e0 = le.getLong(first + 8);
                        le.putLong(first, le.getLong(second)).putLong(first + 8, le.getLong(second + 8)).putLong(second, s0).putLong(second + 8, e0);
                    }
                }
                case 1 -> {
                    if (second + 16 <= end) {
                        le.putLong(second, le.getLong(first + 8));
                    }
                }
                default -> {
                    if (first + 16 <= end) {
                        le.putLong(first, le.getLong(first + 8) + 1);
                    }
                }
            }
        }

        private void set(List<byte[]> replies, int full, int countField, int capsBit, List<Integer> starts) {
            byte[] b = replies.get(reply);
            List<Integer> capFields = new ArrayList<>();
            for (int s : reply == 1 ? starts : List.<Integer>of()) {
                capFields.addAll(List.of(s + 4, s + 8));
            }
            List<Long> structure = structure(replies, full, countField, reply == 1 ? starts : List.of());
            List<Long> other = List.of(1L, MAX_ARGSZ - 4, MAX_ARGSZ, MAX_ARGSZ + 1, (MAX_ARGSZ - 12) / 8, (MAX_ARGSZ - 12) / 8 + 1, 1L << 31,
                    0xffff_ffffL, (long) random, (long) (NaiveReplies.le(b).getInt(4) ^ capsBit));
            int pick = Math.floorMod(where, 3);
            int at = pick == 0 || capFields.isEmpty() ? List.of(0, 4, countField).get(Math.floorMod(where / 3, 3))
                    : pick == 1 ? capFields.get(Math.floorMod(where / 3, capFields.size())) : Math.floorMod(random, Math.max(1, b.length - 3));
            List<Long> values = Math.floorMod(what, 2) == 0 ? structure : other;
            if (at + 4 <= b.length) {
                NaiveReplies.le(b).putInt(at, (int) (long) values.get(Math.floorMod(what / 2, values.size())));
            }
        }
    }

    /** Values near the exchange's own structure: the end, the counts, each capability's start. */
    private static List<Long> structure(List<byte[]> replies, int full, int countField, List<Integer> starts) {
        List<Long> values = new ArrayList<>(List.of(0L, full - 8L, full - 4L, full - 1L, (long) full, full + 8L));
        for (byte[] r : replies) {
            long count = Integer.toUnsignedLong(NaiveReplies.le(r).getInt(countField));
            values.addAll(List.of(count - 1, count + 1));
        }
        for (int s : starts) {
            values.addAll(List.of((long) s, s - 8L, s - 4L, s - 1L, s + 4L, s + 8L, s + 16L));
        }
        return values;
    }

    private static Arbitrary<List<Mutation>> mutations() {
        return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 1), Arbitraries.integers(),
                Arbitraries.integers(), Arbitraries.integers()).as(Mutation::new).list().ofMinSize(1).ofMaxSize(4);
    }

    private static List<Forged> mutate(Exchange<?> x, List<Mutation> ms, int countField, int capsBit) {
        List<byte[]> bytes = new ArrayList<>(x.replies().stream().map(f -> f.bytes().clone()).toList());
        for (Mutation m : ms) {
            m.apply(bytes, countField, capsBit, x.capStarts());
        }
        List<Forged> replies = new ArrayList<>();
        for (int i = 0; i < bytes.size(); i++) {
            replies.add(new Forged(bytes.get(i), x.replies().get(i).result(), x.replies().get(i).errno()));
        }
        return replies;
    }

    record Mutated<M>(M model, List<Mutation> mutations) {}

    @Provide
    Arbitrary<List<Mutated<IommuModel>>> mutatedIommu() {
        return Combinators.combine(iommuModels(), mutations()).as(Mutated::new).list().ofSize(BATCH);
    }

    @Provide
    Arbitrary<List<Mutated<RegionModel>>> mutatedRegion() {
        return Combinators.combine(regionModels(), mutations()).as(Mutated::new).list().ofSize(BATCH);
    }

    /** Hot-reset replies with mutated fields, and each reply's errno replaced by one of none, ENOSPC, ENODEV. */
    record MutatedHotReset(List<HotResetInfo.Device> devices, List<Mutation> mutations, int firstErrno, int secondErrno) {}

    @Provide
    Arbitrary<List<MutatedHotReset>> mutatedHotReset() {
        Arbitrary<Integer> errno = Arbitraries.integers().between(0, 4);
        return Combinators.combine(hotResetDevices(), mutations(), errno, errno).as(MutatedHotReset::new).list().ofSize(BATCH);
    }

    @Property
    void mutatedIommuInfo_endsAsTheReferenceSays(@ForAll("mutatedIommu") List<Mutated<IommuModel>> batch) {
        for (Mutated<IommuModel> c : batch) {
            List<Forged> replies = mutate(exchange(c.model()), c.mutations(), 16, NaiveReplies.IOMMU_INFO_CAPS);
            RecordingSeam seam = new RecordingSeam().lie(replies);
            check(NaiveReplies.iommuInfo(replies), "VFIO_IOMMU_GET_INFO", seam, () -> seam.container().iommuInfo());
        }
    }

    @Property
    void mutatedRegionInfo_endsAsTheReferenceSays(@ForAll("mutatedRegion") List<Mutated<RegionModel>> batch) {
        for (Mutated<RegionModel> c : batch) {
            List<Forged> replies = mutate(exchange(c.model()), c.mutations(), 12, NaiveReplies.REGION_INFO_FLAG_CAPS);
            RecordingSeam seam = new RecordingSeam().lie(replies);
            int index = c.model().index();
            check(NaiveReplies.regionInfo(index, replies), "VFIO_DEVICE_GET_REGION_INFO", seam, () -> seam.device().regionInfo(index));
        }
    }

    @Property
    void mutatedHotResetInfo_endsAsTheReferenceSays(@ForAll("mutatedHotReset") List<MutatedHotReset> batch) {
        Errno[] errnos = {null, null, null, Errno.ENOSPC, Errno.ENODEV};
        for (MutatedHotReset c : batch) {
            Exchange<HotResetInfo> x = exchange(c.devices());
            List<Integer> entries = new ArrayList<>();
            for (int i = 0; i < c.devices().size(); i++) {
                entries.add(12 + 8 * i - 4); // so that "next" and "first field" land on the entries' group and address
            }
            List<Forged> replies = mutate(new Exchange<>(x.replies(), x.value(), x.argsz(), entries), c.mutations(), 8, 0);
            replies.set(0, new Forged(replies.get(0).bytes(), 0, c.firstErrno() == 0 ? replies.get(0).errno() : errnos[c.firstErrno()]));
            replies.set(1, new Forged(replies.get(1).bytes(), 0, errnos[c.secondErrno()]));
            RecordingSeam seam = new RecordingSeam().lie(replies);
            check(NaiveReplies.hotResetInfo(replies), "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", seam, () -> seam.device().hotResetInfo());
        }
    }

    // ---- fixed structs and results: random bytes, random results ----

    /** A call whose reply is one fixed struct and a result, and the reference's reading of them. */
    enum Fixed {
        IRQ_INFO("VFIO_DEVICE_GET_IRQ_INFO", 16) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.device().irqInfo(2);
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                int count = NaiveReplies.le(r).getInt(12);
                return count < 0 ? new Malformed<>() : new Decoded<>(new IrqInfo(2, NaiveReplies.le(r).getInt(4), count));
            }
        },
        DEVICE_INFO("VFIO_DEVICE_GET_INFO", 20) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.device().info();
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                var b = NaiveReplies.le(r);
                return b.getInt(8) < 0 || b.getInt(12) < 0 ? new Malformed<>() : new Decoded<>(new DeviceInfo(b.getInt(4), b.getInt(8), b.getInt(12)));
            }
        },
        SPAPR_INFO("VFIO_IOMMU_SPAPR_TCE_GET_INFO", 32) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.container().spaprInfo();
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                var b = NaiveReplies.le(r);
                Optional<SpaprTceInfo.DdwInfo> ddw = (b.getInt(4) & 1) == 0 ? Optional.empty()
                        : Optional.of(new SpaprTceInfo.DdwInfo(b.getLong(16), b.getInt(24), b.getInt(28)));
                return new Decoded<>(new SpaprTceInfo(b.getInt(4), Integer.toUnsignedLong(b.getInt(8)), Integer.toUnsignedLong(b.getInt(12)), ddw));
            }
        },
        GROUP_STATUS("VFIO_GROUP_GET_STATUS", 8) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.group().status();
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                int flags = NaiveReplies.le(r).getInt(4);
                return new Decoded<>(new GroupStatus((flags & 1) != 0, (flags & 2) != 0));
            }
        },
        GFX_PLANE("VFIO_DEVICE_QUERY_GFX_PLANE", 64) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.device().queryGfxPlane(1, 1);
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                var b = NaiveReplies.le(r);
                return new Decoded<>(new GfxPlane(1, b.getInt(12), b.getLong(16), b.getInt(24), b.getInt(28), b.getInt(32), b.getInt(36),
                        b.getInt(40), b.getInt(44), b.getInt(48), b.getInt(52), b.getInt(56)));
            }
        },
        UNMAP("VFIO_IOMMU_UNMAP_DMA", 24) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.container().unmapDma(0x10000, 0x2000);
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                return result < 0 ? new Malformed<>() : result > 0 ? new Refused<>(Errno.EINVAL) : new Decoded<>(NaiveReplies.le(r).getLong(16));
            }
        },
        DEVICE_FD("VFIO_GROUP_GET_DEVICE_FD", 13) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.group().openDevice("0000:01:00.0").fd().number();
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                return nonNegative(result);
            }
        },
        DMABUF_FD("VFIO_DEVICE_GET_GFX_DMABUF", 4) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.device().gfxDmabuf(3).fd().number();
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                return nonNegative(result);
            }
        },
        EEH_STATE("VFIO_EEH_PE_OP", 40) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.container().eeh().op(EehOp.GET_STATE);
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                return nonNegative(result);
            }
        },
        EXTENSION("VFIO_CHECK_EXTENSION", 0) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                return seam.container().checkExtension(3);
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                return nonNegative(result);
            }
        },
        IRQ_EVENTFDS("VFIO_DEVICE_SET_IRQS", 28) {
            @Override
            Object call(RecordingSeam seam) throws VfioException {
                EventNotifier a = new EventNotifier(seam.kernel, new org.vfio4j.spi.Fd(seam.kernel, 10, "eventfd", n -> 0), () -> null);
                return seam.device().setIrqEventfds(IrqIndex.MSIX, 1, List.of(a, a));
            }

            @Override
            NaiveReplies.Outcome<?> expect(byte[] r, int result) {
                // start 1 and two vectors: the kernel asks for 3 (vfio_pci_set_msi_trigger)
                return result == 0 || result == 1 || result == 2 ? new Decoded<>(result) : new Malformed<>();
            }
        };

        final String ioctl;
        final int size;

        Fixed(String ioctl, int size) {
            this.ioctl = ioctl;
            this.size = size;
        }

        abstract Object call(RecordingSeam seam) throws VfioException;

        abstract NaiveReplies.Outcome<?> expect(byte[] reply, int result);
    }

    /** A result the typed layer returns or uses as a descriptor: refused when negative. */
    private static NaiveReplies.Outcome<?> nonNegative(int result) {
        return result < 0 ? new Malformed<>() : new Decoded<>(result);
    }

    record FixedCase(Fixed call, byte[] bytes, int result) {}

    @Provide
    Arbitrary<List<FixedCase>> fixedCases() {
        Arbitrary<Integer> results = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(0)), Tuple.of(2, Arbitraries.integers().between(-3, 4)),
                Tuple.of(1, Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE)), Tuple.of(1, Arbitraries.integers()));
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofSize(64);
        return Combinators.combine(Arbitraries.of(Fixed.class), bytes, results).as(FixedCase::new).list().ofSize(BATCH);
    }

    @Property
    void randomFixedStructsAndResults_endAsTheReferenceSays(@ForAll("fixedCases") List<FixedCase> batch) {
        for (FixedCase c : batch) {
            RecordingSeam seam = new RecordingSeam().lie(new Forged(c.bytes(), c.result(), null));
            Object actual = outcome(() -> c.call().call(seam));
            byte[] image = seam.replied.getFirst();
            assertAgrees(actual, c.call().expect(image == null ? new byte[0] : image, c.result()), c.call().ioctl);
            assertThat(seam.calls).hasSize(1);
            if (image != null) {
                assertThat(image).hasSize(c.call().size);
            }
        }
    }
}
