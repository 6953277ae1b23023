package org.vfio4j.conformance.power;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vfio4j.conformance.power.ScriptCommand.*;

class PowerScriptTest {

    private static final Handle C0 = new Handle(Kind.CONTAINER, 0);
    private static final Handle C3 = new Handle(Kind.CONTAINER, 3);
    private static final Handle G1 = new Handle(Kind.GROUP, 1);
    private static final Handle D2 = new Handle(Kind.DEVICE, 2);

    private static ScriptCommand only(String line) {
        PowerScript s = PowerScript.parse(line);
        assertThat(s.lines()).as("'%s'", line).hasSize(1);
        return s.lines().getFirst().command();
    }

    @Test
    void everyCommand_parsesIntoItsRecord_withDefaultsForOmittedOperands() {
        assertThat(only("open c3")).isEqualTo(new Open(C3));
        assertThat(only("group g1 nvme")).isEqualTo(new Group(G1, ProbeDevice.NVME));
        assertThat(only("group g1 edu")).isEqualTo(new Group(G1, ProbeDevice.EDU));
        assertThat(only("setcontainer g1 c0")).isEqualTo(new SetContainer(G1, C0));
        assertThat(only("unsetcontainer g1")).isEqualTo(new UnsetContainer(G1));
        assertThat(only("status g1")).isEqualTo(new Status(G1));
        assertThat(only("checkext c0 7")).isEqualTo(new CheckExtension(C0, 7));
        assertThat(only("setiommu c0 0x2")).isEqualTo(new SetIommu(C0, 2));
        assertThat(only("info c0 16")).isEqualTo(new Info(C0, 16));
        assertThat(only("enable c0")).isEqualTo(new Enable(C0));
        assertThat(only("disable c0")).isEqualTo(new Disable(C0));
        assertThat(only("register c0 0x10000 0x20000")).isEqualTo(new Register(C0, 0x10000, 0x20000, 0, 24));
        assertThat(only("register c0 0 4096 1")).isEqualTo(new Register(C0, 0, 4096, 1, 24));
        assertThat(only("register c0 0 4096 0 16")).isEqualTo(new Register(C0, 0, 4096, 0, 16));
        assertThat(only("unregister c0 0 4096")).isEqualTo(new Unregister(C0, 0, 4096, 0, 24));
        assertThat(only("unregister c0 0 4096 2 8")).isEqualTo(new Unregister(C0, 0, 4096, 2, 8));
        assertThat(only("create c0 16 0x40000000 1")).isEqualTo(new Create(C0, 16, 0x40000000L, 1, 0, 40));
        assertThat(only("create c0 12 0x1000000 2 1 32")).isEqualTo(new Create(C0, 12, 0x1000000, 2, 1, 32));
        assertThat(only("remove c0 0x0800000000000000")).isEqualTo(new Remove(C0, 1L << 59, 0, 16));
        assertThat(only("remove c0 0 1 8")).isEqualTo(new Remove(C0, 0, 1, 8));
        assertThat(only("map c0 0x1000 0x2000 0x3000 3")).isEqualTo(new MapDma(C0, 0x1000, 0x2000, 0x3000, 3, 32));
        assertThat(only("map c0 0 0 0 0 16")).isEqualTo(new MapDma(C0, 0, 0, 0, 0, 16));
        assertThat(only("unmap c0 0x1000 0x3000 0")).isEqualTo(new UnmapDma(C0, 0x1000, 0x3000, 0, 24));
        assertThat(only("unmap c0 0 0 2 16")).isEqualTo(new UnmapDma(C0, 0, 0, 2, 16));
        assertThat(only("eeh c0 4")).isEqualTo(new Eeh(C0, 4, 0, 12));
        assertThat(only("eeh c0 1 1 8")).isEqualTo(new Eeh(C0, 1, 1, 8));
        assertThat(only("inject c0 1 2 0x1000 0xffff")).isEqualTo(new Inject(C0, 1, 2, 0x1000, 0xffff, 40));
        assertThat(only("inject c0 1 2 3 4 24")).isEqualTo(new Inject(C0, 1, 2, 3, 4, 24));
        assertThat(only("device d2 g1 nvme")).isEqualTo(new Device(D2, G1, ProbeDevice.NVME));
        assertThat(only("read d2 7 0x10 64")).isEqualTo(new Read(D2, 7, 0x10, 64));
        assertThat(only("write d2 7 4 0607")).isEqualTo(new Write(D2, 7, 4, new byte[] {6, 7}));
        assertThat(only("write d2 0 0 aBcD")).isEqualTo(new Write(D2, 0, 0, new byte[] {(byte) 0xab, (byte) 0xcd}));
        assertThat(only("close d2")).isEqualTo(new Close(D2));
        assertThat(only("close g1")).isEqualTo(new Close(G1));
        assertThat(only("close c0")).isEqualTo(new Close(C0));
        assertThat(only("closeall")).isEqualTo(new CloseAll());
    }

    @Test
    void numbers_areUnsigned64Bit_decimalOrLowercase0xHex_asTheCProbeReadsThem() {
        assertThat(PowerScript.number("0")).contains(0L);
        assertThat(PowerScript.number("010")).as("a leading zero is still decimal").contains(10L);
        assertThat(PowerScript.number("18446744073709551615")).contains(-1L);
        assertThat(PowerScript.number("0xffffffffffffffff")).contains(-1L);
        assertThat(PowerScript.number("0xABCdef")).contains(0xabcdefL);
        assertThat(PowerScript.number("0x0800000000000000")).contains(1L << 59);
        assertThat(PowerScript.number("18446744073709551616")).as("2^64").isEmpty();
        assertThat(PowerScript.number("0x10000000000000000")).as("17 hex digits").isEmpty();
        assertThat(PowerScript.number("0X10")).isEmpty();
        assertThat(PowerScript.number("0x")).isEmpty();
        assertThat(PowerScript.number("+5")).isEmpty();
        assertThat(PowerScript.number("-1")).isEmpty();
        assertThat(PowerScript.number("12k")).isEmpty();
        assertThat(PowerScript.number("")).isEmpty();
    }

    @Test
    void expectations_areStripped_andKept_tokensJoinedByOneSpace() {
        PowerScript s = PowerScript.parse("info   c0\t32  =>  0   2000   \nopen c0 => ok\nclose c0 =>\nclosealL\n");
        assertThat(s.lines()).extracting(PowerScript.Line::echo).containsExactly("info c0 32", "open c0", "close c0", "closealL");
        assertThat(s.lines()).extracting(PowerScript.Line::expectation)
                .containsExactly(Optional.of("0 2000"), Optional.of("ok"), Optional.of(""), Optional.empty());
        assertThat(s.lines().get(0).command()).isEqualTo(new Info(C0, 32));
    }

    @Test
    void blankLinesAndComments_printNothing_butCountForLineNumbers() {
        PowerScript s = PowerScript.parse("# a comment\n\n   \t\nopen c0\r\n  # indented comment => ok\nclosealL\n\nclose c0");
        assertThat(s.lines()).extracting(PowerScript.Line::number).containsExactly(4, 6, 8);
        assertThat(s.lines().get(0).command()).isEqualTo(new Open(C0));
        assertThat(s.lines().get(2).command()).isEqualTo(new Close(C0));
        assertThat(s.size()).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "frobnicate c0", "Open c0", "open", "open c0 c1", "open g0", "open c10", "open cx", "open c",
        "group g0", "group g0 virtio", "group c0 edu", "setcontainer g0", "setcontainer c0 g0",
        "status", "checkext c0", "checkext c0 -1", "setiommu c0 7 7", "info c0", "info c0 0X10",
        "enable", "disable c0 1", "register c0 0", "register c0 0 1 2 3 4", "register c0 x 1",
        "unregister c0", "create c0 12 4096", "create c0 12 4096 1 0 40 9", "remove c0", "remove c0 0 0 16 1",
        "map c0 0 0 0", "map c0 0 0 0 3 32 1", "unmap c0 0 0", "unmap c0 0 0 0 24 1", "eeh c0",
        "eeh c0 1 0 12 1", "inject c0 1 2 3", "inject c0 1 2 3 4 5 6", "device d0 g0", "device g0 d0 edu",
        "device d0 g0 gpu", "read d0 7 0", "read d0 7 0 0", "read d0 7 0 65", "read g0 7 0 4", "write d0 7 0",
        "write d0 7 0 abc", "write d0 7 0 zz", "write d0 7 0 0x01", "close", "close x0",
        "close c0 c1", "closeall c0", "=> ok"})
    void malformedLines_areBadCommands_thatKeepTheirLine(String line) {
        PowerScript s = PowerScript.parse("open c0\n" + line + "\nclose c0");
        assertThat(s.lines()).hasSize(3);
        assertThat(s.lines().get(1).number()).isEqualTo(2);
        assertThat(s.lines().get(1).command()).as(line).isInstanceOf(BadCommand.class);
        assertThat(((BadCommand) s.lines().get(1).command()).reason()).isNotBlank();
    }

    @Test
    void aWriteOfMoreThan64Bytes_isABadCommand() {
        assertThat(only("write d0 7 0 " + "00".repeat(64))).isInstanceOf(Write.class);
        assertThat(only("write d0 7 0 " + "00".repeat(65))).isInstanceOf(BadCommand.class);
    }

    @Test
    void aLineOfOnlyAnExpectation_echoesNothing_andIsABadCommand() {
        PowerScript.Line l = PowerScript.parse("=> 0").lines().getFirst();
        assertThat(l.echo()).isEmpty();
        assertThat(l.command()).isInstanceOf(BadCommand.class);
        assertThat(l.expectation()).contains("0");
    }

    @Test
    void writeData_isCopied_inAndOut() {
        byte[] data = {1, 2};
        Write w = new Write(D2, 0, 0, data);
        data[0] = 9;
        w.data()[1] = 9;
        assertThat(w.data()).containsExactly(1, 2);
        assertThat(w.toString()).contains("0102");
    }
}
