package io.reside.secretary.alpha;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.eclipse.elk.alg.layered.LayeredLayoutProvider;
import org.eclipse.elk.alg.layered.options.LayeredOptions;
import org.eclipse.elk.alg.layered.options.LayeringStrategy;
import org.eclipse.elk.core.math.ElkPadding;
import org.eclipse.elk.core.options.CoreOptions;
import org.eclipse.elk.core.options.Direction;
import org.eclipse.elk.core.options.EdgeRouting;
import org.eclipse.elk.core.util.BasicProgressMonitor;
import org.eclipse.elk.graph.ElkBendPoint;
import org.eclipse.elk.graph.ElkEdge;
import org.eclipse.elk.graph.ElkEdgeSection;
import org.eclipse.elk.graph.ElkNode;
import org.eclipse.elk.graph.util.ElkGraphUtil;

/**
 * The replica graph as a picture: instances as boxes (title, then name and status), chosen requirements as arrows
 * from the requirer to the implementor. Laid out by Eclipse ELK's layered algorithm (called directly, not through
 * ELK's service registry, so nothing is looked up by reflection) and drawn with Java2D, headless. Wide graphs get
 * more layers (Coffman-Graham with a bound on a layer's width) so the picture stays readable once Telegram scales it
 * to 1280 pixels, and within Telegram's photo limits (width + height at most 10000, sides at most 20:1).
 */
final class GraphPicture {

    /** One instance; {@code status} is its current version's. */
    record Node(String id, String title, String subtitle, String status) {
    }

    /** A chosen requirement: {@code from} requires {@code to}. */
    record Edge(String from, String to) {
    }

    record Picture(byte[] png, int width, int height) {
    }

    private static final double SCALE = 1.5;
    private static final double MAX_SIDE = 2560;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final int PAD_X = 14;
    private static final int NODE_H = 50;
    private static final int MAX_TEXT = 40;

    static {
        // registers the option types ELK clones (padding, vectors) with its ElkReflect; the layered algorithm itself is
        // still called directly below
        org.eclipse.elk.core.data.LayoutMetaDataService.getInstance();
    }

    private GraphPicture() {
    }

    static Picture draw(List<Node> nodes, List<Edge> edges) {
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D measure = scratch.createGraphics();
        hints(measure);
        FontMetrics titleMetrics = measure.getFontMetrics(TITLE);
        FontMetrics subMetrics = measure.getFontMetrics(SUBTITLE);

        ElkNode root = ElkGraphUtil.createGraph();
        root.setProperty(CoreOptions.DIRECTION, Direction.DOWN);
        root.setProperty(CoreOptions.EDGE_ROUTING, EdgeRouting.ORTHOGONAL);
        root.setProperty(CoreOptions.PADDING, new ElkPadding(20));
        root.setProperty(LayeredOptions.SPACING_NODE_NODE, 24.0);
        root.setProperty(LayeredOptions.SPACING_NODE_NODE_BETWEEN_LAYERS, 44.0);
        root.setProperty(LayeredOptions.SPACING_EDGE_NODE_BETWEEN_LAYERS, 16.0);
        // in a large graph, edges into the same box share their last stretch: thirty requirers of Alpha make one
        // trunk, not thirty lines; a small one reads better with each edge on its own
        root.setProperty(LayeredOptions.MERGE_EDGES, nodes.size() > 12);
        root.setProperty(LayeredOptions.LAYERING_STRATEGY, LayeringStrategy.COFFMAN_GRAHAM);
        root.setProperty(LayeredOptions.LAYERING_COFFMAN_GRAHAM_LAYER_BOUND,
                Math.max(4, (int) Math.ceil(Math.sqrt(nodes.size()) * 1.5)));
        Map<String, ElkNode> byId = new HashMap<>();
        Map<ElkNode, Node> shown = new HashMap<>();
        for (Node n : nodes) {
            ElkNode e = ElkGraphUtil.createNode(root);
            int w = Math.max(titleMetrics.stringWidth(clip(n.title())), subMetrics.stringWidth(clip(n.subtitle())
                    + " ●")) + 2 * PAD_X;
            e.setDimensions(Math.max(110, w), NODE_H);
            e.setIdentifier("n" + byId.size());
            byId.put(n.id(), e);
            shown.put(e, n);
        }
        for (Edge edge : edges) {
            ElkNode from = byId.get(edge.from());
            ElkNode to = byId.get(edge.to());
            if (from != null && to != null && from != to) {
                ElkGraphUtil.createSimpleEdge(from, to);
            }
        }
        new LayeredLayoutProvider().layout(root, new BasicProgressMonitor());
        measure.dispose();

        // sharp at the size Telegram shows, without making a huge graph a huge file
        double scale = Math.max(1.0, Math.min(SCALE, MAX_SIDE / Math.max(root.getWidth(), root.getHeight())));
        int width = (int) Math.ceil(Math.max(root.getWidth(), 200) * scale);
        int height = (int) Math.ceil(Math.max(root.getHeight(), 80) * scale);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        hints(g);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.scale(scale, scale);
        g.setStroke(new BasicStroke(1.4f));
        g.setColor(new Color(0x8a, 0x94, 0xa6));
        for (ElkEdge e : root.getContainedEdges()) {
            for (ElkEdgeSection s : e.getSections()) {
                Path2D.Double path = new Path2D.Double();
                path.moveTo(s.getStartX(), s.getStartY());
                double lastX = s.getStartX();
                double lastY = s.getStartY();
                for (ElkBendPoint b : s.getBendPoints()) {
                    path.lineTo(b.getX(), b.getY());
                    lastX = b.getX();
                    lastY = b.getY();
                }
                path.lineTo(s.getEndX(), s.getEndY());
                g.draw(path);
                arrow(g, lastX, lastY, s.getEndX(), s.getEndY());
            }
        }
        for (ElkNode e : root.getChildren()) {
            Node n = shown.get(e);
            Color[] c = colours(n.status());
            RoundRectangle2D box = new RoundRectangle2D.Double(e.getX(), e.getY(), e.getWidth(), e.getHeight(), 12,
                    12);
            g.setColor(c[0]);
            g.fill(box);
            g.setColor(c[1]);
            g.setStroke(new BasicStroke(1.6f));
            g.draw(box);
            g.setColor(new Color(0x1f, 0x25, 0x30));
            g.setFont(TITLE);
            g.drawString(clip(n.title()), (float) e.getX() + PAD_X, (float) e.getY() + 21);
            g.setFont(SUBTITLE);
            g.setColor(new Color(0x4a, 0x52, 0x60));
            String sub = clip(n.subtitle());
            g.drawString(sub, (float) e.getX() + PAD_X, (float) e.getY() + 39);
            g.setColor(c[1]);
            g.drawString(" ●", (float) e.getX() + PAD_X + g.getFontMetrics().stringWidth(sub), (float) e.getY() + 39);
        }
        g.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Picture(png.toByteArray(), width, height);
    }

    /** The same hints for measuring and drawing, so text fits the box it was measured for. */
    private static void hints(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
    }

    private static String clip(String s) {
        String t = s == null ? "" : s;
        return t.length() > MAX_TEXT ? t.substring(0, MAX_TEXT - 1) + "…" : t;
    }

    private static void arrow(Graphics2D g, double fromX, double fromY, double x, double y) {
        double angle = Math.atan2(y - fromY, x - fromX);
        Path2D.Double head = new Path2D.Double();
        head.moveTo(x, y);
        head.lineTo(x - 9 * Math.cos(angle - 0.4), y - 9 * Math.sin(angle - 0.4));
        head.lineTo(x - 9 * Math.cos(angle + 0.4), y - 9 * Math.sin(angle + 0.4));
        head.closePath();
        g.fill(head);
    }

    /** Fill and border by status: running green, on its way amber, failed red, stopped grey. */
    private static Color[] colours(String status) {
        return switch (status == null ? "" : status) {
            case "running" -> new Color[] { new Color(0xe6, 0xf6, 0xea), new Color(0x2e, 0x9d, 0x4f) };
            case "starting", "stopping", "degraded", "running-outdated" -> new Color[] { new Color(0xfd, 0xf3, 0xdc),
                    new Color(0xd0, 0x8c, 0x00) };
            case "error" -> new Color[] { new Color(0xfd, 0xe8, 0xe8), new Color(0xc6, 0x2f, 0x2f) };
            default -> new Color[] { new Color(0xf0, 0xf1, 0xf3), new Color(0x8a, 0x94, 0xa6) };
        };
    }
}
