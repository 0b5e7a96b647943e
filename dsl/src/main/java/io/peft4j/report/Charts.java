package io.peft4j.report;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * Training curves and the rank sweep drawn by JFreeChart (headless), as PNG and as SVG through
 * JFreeSVG's {@link SVGGraphics2D} (the same drawing code, so both show the same chart). Any other
 * {@link JFreeChart} gets the same treatment through {@link #bundle(JFreeChart, int, int)}. Files
 * are written to a temporary sibling and renamed into place.
 */
public final class Charts {
    private Charts() {}

    static { System.setProperty("java.awt.headless", "true"); }

    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b)};

    /**
     * Loss per step (x = fractional epoch, step / stepsPerEpoch) and, on a second axis, an eval
     * metric per epoch (x = 1..E); {@code evalPerEpoch} may be null or empty.
     */
    public static LineChart trainingCurves(double[] lossPerStep, int stepsPerEpoch, double[] evalPerEpoch, String evalName) {
        if (lossPerStep == null || lossPerStep.length == 0) throw new IllegalArgumentException("lossPerStep is empty");
        if (stepsPerEpoch <= 0) throw new IllegalArgumentException("stepsPerEpoch must be >= 1, got " + stepsPerEpoch);
        double[] x = new double[lossPerStep.length];
        for (int i = 0; i < x.length; i++) x[i] = (i + 1) / (double) stepsPerEpoch;
        List<LineChart.Series> right = List.of();
        if (evalPerEpoch != null && evalPerEpoch.length > 0) {
            double[] e = new double[evalPerEpoch.length];
            for (int i = 0; i < e.length; i++) e[i] = i + 1;
            right = List.of(new LineChart.Series(evalName == null ? "eval" : evalName, e, evalPerEpoch));
        }
        return new LineChart("Training", "epoch", "loss", List.of(new LineChart.Series("training loss", x, lossPerStep)),
            evalName == null ? "eval" : evalName, right);
    }

    /** ROUGE (left axis, one series per metric) and trainable parameters (right axis) against LoRA rank. */
    public static LineChart rankSweep(int[] ranks, List<String> metricNames, List<double[]> metricValues, long[] trainableParams) {
        if (ranks == null || ranks.length == 0) throw new IllegalArgumentException("ranks is empty");
        if (metricNames.size() != metricValues.size()) throw new IllegalArgumentException(metricNames.size() + " metric names but " + metricValues.size() + " value arrays");
        double[] x = new double[ranks.length];
        for (int i = 0; i < x.length; i++) x[i] = ranks[i];
        List<LineChart.Series> left = new java.util.ArrayList<>();
        for (int k = 0; k < metricNames.size(); k++) left.add(new LineChart.Series(metricNames.get(k), x, metricValues.get(k)));
        List<LineChart.Series> right = List.of();
        if (trainableParams != null) {
            double[] p = new double[trainableParams.length];
            for (int i = 0; i < p.length; i++) p[i] = trainableParams[i];
            right = List.of(new LineChart.Series("trainable params", x, p));
        }
        return new LineChart("LoRA rank sweep", "rank", "ROUGE", left, "trainable params", right);
    }

    // ---- PNG ------------------------------------------------------------------------------

    public static JFreeChart toJFreeChart(LineChart c) {
        System.setProperty("java.awt.headless", "true");
        XYPlot plot = new XYPlot();
        plot.setDomainAxis(new NumberAxis(c.xLabel()));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        addAxis(plot, 0, c.yLabel(), c.left(), 0);
        if (!c.right().isEmpty()) addAxis(plot, 1, c.rightLabel(), c.right(), c.left().size());
        JFreeChart chart = new JFreeChart(c.title(), JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static void addAxis(XYPlot plot, int index, String label, List<LineChart.Series> series, int colorOffset) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (LineChart.Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) if (!Double.isNaN(s.y()[i])) xy.add(s.x()[i], s.y()[i]);
            data.addSeries(xy);
        }
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        plot.setDataset(index, data);
        plot.setRangeAxis(index, axis);
        plot.mapDatasetToRangeAxis(index, index);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int k = 0; k < series.size(); k++) {
            r.setSeriesPaint(k, PALETTE[(k + colorOffset) % PALETTE.length]);
            r.setSeriesStroke(k, new BasicStroke(2f));
            r.setSeriesShapesVisible(k, series.get(k).x().length <= 40);
        }
        plot.setRenderer(index, r);
    }

    /** Writes the chart as PNG (atomically). */
    public static Path png(LineChart c, Path file, int width, int height) {
        checkSize(width, height);
        JFreeChart chart = toJFreeChart(c);
        return atomically(file, out -> ChartUtils.writeChartAsPNG(out, chart, width, height));
    }

    /** The chart as PNG bytes. */
    public static byte[] pngBytes(LineChart c, int width, int height) { return pngBytes(toJFreeChart(c), width, height); }

    /** Any JFreeChart as PNG bytes. */
    public static byte[] pngBytes(JFreeChart chart, int width, int height) {
        checkSize(width, height);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The chart as an SVG document. */
    public static String svgText(LineChart c, int width, int height) { return svgText(toJFreeChart(c), width, height); }

    /** Any JFreeChart as an SVG document (JFreeSVG). */
    public static String svgText(JFreeChart chart, int width, int height) {
        checkSize(width, height);
        SVGGraphics2D g = new SVGGraphics2D(width, height);
        chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + g.getSVGElement() + "\n";
    }

    /** A notebook MIME bundle: image/png (bytes), image/svg+xml and a text/plain description. */
    public static java.util.Map<String, Object> bundle(LineChart c, int width, int height) {
        StringBuilder text = new StringBuilder("chart: " + c.title());
        for (LineChart.Series s : c.left()) text.append(" | ").append(s.name());
        for (LineChart.Series s : c.right()) text.append(" | ").append(s.name()).append(" (right axis)");
        return bundle(toJFreeChart(c), width, height, text.toString());
    }

    /** A notebook MIME bundle of any JFreeChart: PNG, SVG and {@code text} (default: the chart's title). */
    public static java.util.Map<String, Object> bundle(JFreeChart chart, int width, int height, String text) {
        java.util.Map<String, Object> b = new java.util.LinkedHashMap<>();
        b.put("image/png", pngBytes(chart, width, height));
        b.put("image/svg+xml", svgText(chart, width, height));
        String title = chart.getTitle() == null ? "" : chart.getTitle().getText();
        b.put("text/plain", text != null ? text : "chart: " + (title.isEmpty() ? "(untitled)" : title));
        return b;
    }

    // ---- SVG ------------------------------------------------------------------------------

    /** Writes the chart as SVG (atomically). */
    public static Path svg(LineChart c, Path file, int width, int height) {
        byte[] bytes = svgText(c, width, height).getBytes(StandardCharsets.UTF_8);
        return atomically(file, out -> out.write(bytes));
    }

    private static void checkSize(int w, int h) {
        if (w < 100 || h < 80 || w > 10_000 || h > 10_000)
            throw new IllegalArgumentException("chart size must be 100..10000 x 80..10000 pixels, got " + w + " x " + h);
    }

    interface Body { void write(OutputStream out) throws IOException; }

    static Path atomically(Path file, Body body) {
        Path abs = file.toAbsolutePath();
        try {
            if (abs.getParent() != null) Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) { body.write(out); }
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return abs;
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + abs, e);
        }
    }

    static String fmt(double v) { return String.format(Locale.ROOT, "%.2f", v); }
}
