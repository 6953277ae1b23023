package org.vfio4j.uapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The committed inventory {@code seed-items.txt} lists exactly the items of the seed header, so the
 * ABI proof's coverage check (every inventory item is in Java and checked by gcc) covers the whole
 * header. Runs where the project's {@code shared/reference/vfio-seed.h} is beside the checkout.
 */
class SeedInventoryTest {

    @Test
    void inventory_matchesSeedHeader() throws Exception {
        Optional<Path> seed = SeedHeader.locateSeed();
        assumeTrue(seed.isPresent(), "the seed header shared/reference/vfio-seed.h is not beside this checkout");
        SeedHeader parsed = SeedHeader.parse(Files.readString(seed.get()));
        if (Boolean.getBoolean("vfio4j.writeInventory")) {
            Files.writeString(Path.of("src/test/resources/org/vfio4j/uapi", SeedHeader.INVENTORY), parsed.toInventory());
        }
        SeedHeader inventory = SeedHeader.inventory();
        assertThat(inventory.defines()).containsExactlyElementsOf(parsed.defines());
        assertThat(inventory.enums()).containsExactlyElementsOf(parsed.enums());
        assertThat(inventory.structs()).containsExactlyEntriesOf(parsed.structs());
    }

    @Test
    void parser_readsStructsWithUnionsAndFlexibleArrays() {
        SeedHeader h = SeedHeader.parse("""
                #ifndef X_H
                #define X_H
                #define A (1 << 2) /* comment */
                #define B_MASK (A | \\
                                A)
                struct s {
                	__u32	argsz;	/* in */
                	struct other header;
                	union {
                		__u32 x;
                		__u32 y;	/* y */
                	};
                	__u8	data[];
                };
                enum { E0, E1 = 9 /* nine */, };
                #endif
                """);
        assertThat(h.defines()).containsExactly("A", "B_MASK");
        assertThat(h.enums()).containsExactly("E0", "E1");
        assertThat(h.structs()).containsEntry("s", java.util.List.of("argsz", "header", "x", "y", "data"));
    }
}
