package org.vfio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link PciAddress#parse} and {@link PciAddress#toString} against a naive model: the regular
 * expression of the {@code DDDD:BB:DD.F} format and {@code String.format} of the canonical name.
 */
class PciAddressProperties {
    private static final Pattern FORMAT = Pattern.compile("([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\\.([0-7])");

    @Property
    void theNameIsTheFormattedFields(@ForAll @IntRange(max = 0xffff) int segment, @ForAll @IntRange(max = 0xff) int bus,
                                     @ForAll @IntRange(max = 0x1f) int device, @ForAll @IntRange(max = 7) int function) {
        PciAddress a = new PciAddress(segment, bus, device, function);
        assertThat(a.toString()).isEqualTo(String.format("%04x:%02x:%02x.%x", segment, bus, device, function));
        assertThat(PciAddress.parse(a.toString())).isEqualTo(a);
    }

    @Property(tries = 3000)
    void parseAcceptsExactlyWhatTheFormatDescribes(@ForAll("nearAddresses") String text) {
        Matcher m = FORMAT.matcher(text);
        if (m.matches()) {
            assertThat(PciAddress.parse(text)).isEqualTo(new PciAddress(Integer.parseInt(m.group(1), 16),
                    Integer.parseInt(m.group(2), 16), Integer.parseInt(m.group(3), 16), Integer.parseInt(m.group(4), 16)));
        } else {
            assertThatThrownBy(() -> PciAddress.parse(text)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("not a PCI address (expected DDDD:BB:DD.F): " + text);
        }
    }

    /** Address-shaped strings with characters swapped for look-alikes: digits, letters past f, non-ASCII digits, separators. */
    @Provide
    Arbitrary<String> nearAddresses() {
        Arbitrary<Character> any = Arbitraries.of('0', '1', '2', '7', '8', '9', 'a', 'f', 'A', 'F', 'g', 'G', ':', '.', ' ',
                '\u0660', '\uff10', '\uff41');
        return Arbitraries.of("0000:01:00.0", "abcd:ef:1f.7", "FFFF:FF:1F.7", "0000:00:20.0", "0000:00:03.8")
                .flatMap(base -> Arbitraries.integers().between(0, 13).list().ofMaxSize(3)
                        .flatMap(positions -> any.list().ofSize(positions.size()).map(chars -> {
                            StringBuilder sb = new StringBuilder(base);
                            for (int i = 0; i < positions.size(); i++) {
                                int p = positions.get(i);
                                if (p < sb.length()) {
                                    sb.setCharAt(p, chars.get(i));
                                } else {
                                    sb.append(chars.get(i));
                                }
                            }
                            return sb.toString();
                        })));
    }
}
