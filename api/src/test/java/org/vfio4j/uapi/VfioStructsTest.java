package org.vfio4j.uapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link VfioStructs} covers {@link VfioLayouts} exactly: one class per layout, one constant per
 * top-level member and {@code SIZE}. Their values are checked against gcc by {@link AbiProofTest};
 * here, without gcc, against offsets worked out by hand for a few structs that exercise each layout rule.
 */
class VfioStructsTest {

    @Test
    void everyLayout_hasAClassWithAConstantPerMember() throws Exception {
        Map<String, List<String>> expected = new LinkedHashMap<>();
        for (Field f : VfioLayouts.class.getFields()) {
            StructLayout layout = (StructLayout) f.get(null);
            List<String> names = new ArrayList<>(List.of("SIZE"));
            CLayout.members(layout).stream().map(CLayout.Member::path).filter(p -> !p.contains(".")).forEach(names::add);
            expected.put(f.getName(), names);
        }
        Map<String, List<String>> actual = new LinkedHashMap<>();
        for (Class<?> nested : VfioStructs.class.getClasses()) {
            actual.put(nested.getSimpleName(), Arrays.stream(nested.getDeclaredFields())
                    .filter(f -> Modifier.isPublic(f.getModifiers()) && Modifier.isStatic(f.getModifiers())
                            && Modifier.isFinal(f.getModifiers()) && f.getType() == int.class)
                    .map(Field::getName).toList());
        }
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
    }

    @Test
    void argsz_opensEveryStructThatHasOne() throws Exception {
        List<String> withArgsz = new ArrayList<>();
        for (Field f : VfioLayouts.class.getFields()) {
            StructLayout layout = (StructLayout) f.get(null);
            if (CLayout.members(layout).stream().anyMatch(m -> m.path().equals("argsz"))) {
                assertThat(CLayout.offsetOf(layout, "argsz")).as("argsz of %s", f.getName()).isEqualTo(VfioStructs.ARGSZ);
                withArgsz.add(f.getName());
            }
        }
        assertThat(VfioStructs.ARGSZ).isZero();
        assertThat(withArgsz).hasSizeGreaterThan(15);
    }

    @Test
    void constants_areTheCOffsets() {
        assertThat(VfioStructs.vfio_region_info.cap_offset).isEqualTo(12);
        assertThat(VfioStructs.vfio_region_info.size).isEqualTo(16);
        assertThat(VfioStructs.vfio_region_info.SIZE).isEqualTo(32);
        // padding before a u64 and at the tail
        assertThat(VfioStructs.vfio_iommu_type1_info.iova_pgsizes).isEqualTo(8);
        assertThat(VfioStructs.vfio_iommu_type1_info.SIZE).isEqualTo(24);
        // a flexible array has an offset and no size
        assertThat(VfioStructs.vfio_irq_set.data).isEqualTo(VfioStructs.vfio_irq_set.SIZE).isEqualTo(20);
        // a nested struct and members of an anonymous union
        assertThat(VfioStructs.vfio_region_info_cap_type.type).isEqualTo(VfioStructs.vfio_info_cap_header.SIZE).isEqualTo(8);
        assertThat(VfioStructs.vfio_device_gfx_plane_info.dmabuf_id).isEqualTo(VfioStructs.vfio_device_gfx_plane_info.region_index)
                .isEqualTo(56);
    }
}
