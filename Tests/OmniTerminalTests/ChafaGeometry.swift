import CChafa

/// chafa's own canvas geometry for a source size (zoom on, stretch off, font ratio 0.5), as a reference.
func chafaCalcGeometry(_ width: Int, _ height: Int, _ cols: inout Int32, _ rows: inout Int32) {
    chafa_calc_canvas_geometry(gint(width), gint(height), &cols, &rows, 0.5, 1, 0)
}
