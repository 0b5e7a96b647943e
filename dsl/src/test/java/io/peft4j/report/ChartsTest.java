package io.peft4j.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ChartsTest {
    @TempDir Path dir;

    static LineChart training() {
        double[] loss = new double[30];
        for (int i = 0; i < loss.length; i++) loss[i] = 3.0 * Math.exp(-i / 10.0) + 0.5;
        return Charts.trainingCurves(loss, 10, new double[]{0.31, 0.36, 0.38}, "ROUGE-1 <dev> & co");
    }

    static LineChart sweep() {
        return Charts.rankSweep(new int[]{1, 2, 4, 8, 16, 32}, List.of("ROUGE-1", "ROUGE-L"),
            List.of(new double[]{38.1, 39.0, 39.9, 40.5, 40.7, 40.8}, new double[]{30.2, 31.0, 31.8, 32.3, 32.4, 32.5}),
            new long[]{110_592, 221_184, 442_368, 884_736, 1_769_472, 3_538_944});
    }

    @Test void pngIsValidAndDecodable() throws Exception {
        for (LineChart c : List.of(training(), sweep())) {
            Path p = Charts.png(c, dir.resolve("sub/" + c.title().replace(' ', '_') + ".png"), 640, 400);
            byte[] b = Files.readAllBytes(p);
            assertArrayEquals(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, java.util.Arrays.copyOf(b, 8));
            BufferedImage img = ImageIO.read(p.toFile());
            assertNotNull(img);
            assertEquals(640, img.getWidth());
            assertEquals(400, img.getHeight());
            // something was drawn: not a single-colour image
            int first = img.getRGB(0, 0);
            boolean varied = false;
            for (int y = 0; y < 400 && !varied; y += 7) for (int x = 0; x < 640; x += 7) if (img.getRGB(x, y) != first) { varied = true; break; }
            assertTrue(varied);
        }
        try (var s = Files.list(dir.resolve("sub"))) { assertEquals(2, s.count(), "no temp files left"); }
    }

    @Test void svgIsWellFormedXmlDrawnByJFreeSvg() throws Exception {
        Path p = Charts.svg(training(), dir.resolve("train.svg"), 640, 400);
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(p.toFile());
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        assertEquals(640.0, Double.parseDouble(doc.getDocumentElement().getAttribute("width")));
        assertEquals(400.0, Double.parseDouble(doc.getDocumentElement().getAttribute("height")));
        String text = Files.readString(p);
        assertTrue(text.contains("jfreesvg"), "drawn by JFreeSVG");
        // title, x axis label and legend as escaped text (JFreeSVG draws rotated y labels as shapes)
        for (String s : List.of("Training", "epoch", "training loss", "ROUGE-1 &lt;dev&gt; &amp; co"))
            assertTrue(text.contains(">" + s + "<"), s);
        Path q = Charts.svg(sweep(), dir.resolve("sweep.svg"), 800, 500);
        String sweep = Files.readString(q);
        for (String s : List.of("LoRA rank sweep", "ROUGE-1", "ROUGE-L", "trainable params", "rank"))
            assertTrue(sweep.contains(">" + s + "<"), s);
        // rewriting replaces the file atomically, no temp file left behind
        Charts.svg(training(), q, 640, 400);
        assertEquals(640.0, Double.parseDouble(DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(q.toFile())
            .getDocumentElement().getAttribute("width")));
        try (var s = Files.list(dir)) { assertEquals(2, s.count()); }
    }

    @Test void badInput() {
        assertThrows(IllegalArgumentException.class, () -> Charts.trainingCurves(new double[0], 1, null, null));
        assertThrows(IllegalArgumentException.class, () -> Charts.trainingCurves(new double[]{1}, 0, null, null));
        assertThrows(IllegalArgumentException.class, () -> new LineChart.Series("s", new double[]{1, 2}, new double[]{1}));
        assertThrows(IllegalArgumentException.class, () -> Charts.png(training(), dir.resolve("x.png"), 10, 10));
    }
}
